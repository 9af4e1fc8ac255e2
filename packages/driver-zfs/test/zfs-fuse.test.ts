import { randomBytes } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { LocalShell, type Shell } from "@backflip/core";
import { backendEnv, runSnapshotStoreConformance, skipUnlessBackend } from "@backflip/core/testing";
import { SshShell } from "@backflip/driver-ssh";
import { afterAll } from "vitest";
import { ZfsSnapshotStore } from "../src/zfs-snapshot-store";
import { destroyDataset } from "./destroy-dataset";

const zfs = backendEnv("zfs");
const sshd = backendEnv("sshd");
const local = new LocalShell();

/** A fresh child dataset of the test pool per test, destroyed afterwards. */
async function freshDataset(store: ZfsSnapshotStore) {
  const pool = zfs?.ZFS_POOL ?? "bftest";
  const leaf = `conf-${randomBytes(4).toString("hex")}`;
  const dataset = `${pool}/${leaf}`;
  (await local.run(["zfs", "create", dataset]))._unsafeUnwrap();
  const file = join(zfs?.ZFS_MOUNT ?? "/nonexistent", leaf, "data.txt");
  return {
    port: store,
    fixtures: {
      dataset,
      missingDataset: `${pool}/missing-${leaf}`,
      writeData: (text: string) => writeFile(file, text),
      readData: () => readFile(file, "utf8"),
    },
    teardown: () => destroyDataset(dataset),
  };
}

runSnapshotStoreConformance({
  name: "zfs (real zfs-fuse, local shell)",
  skip: skipUnlessBackend(zfs !== null, "zfs", "scripts/backends up zfs"),
  setup: () => freshDataset(ZfsSnapshotStore.create({ shell: local })._unsafeUnwrap()),
});

const ssh: Shell | undefined =
  zfs === null || sshd === null
    ? undefined
    : SshShell.create({
        host: sshd.SSH_HOST ?? "",
        port: Number(sshd.SSH_PORT),
        username: sshd.SSH_ROOT_USER ?? "root",
        privateKeyPath: sshd.SSH_KEY ?? "",
        hostKey: { fingerprint: sshd.SSH_HOST_FINGERPRINT ?? "" },
      })._unsafeUnwrap();
afterAll(async () => {
  if (ssh instanceof SshShell) await ssh.close();
});

runSnapshotStoreConformance({
  name: "zfs (real zfs-fuse, over SSH to localhost)",
  skip: skipUnlessBackend(zfs !== null && sshd !== null, "zfs+sshd", "scripts/backends up zfs sshd"),
  setup: () => freshDataset(ZfsSnapshotStore.create({ shell: ssh! })._unsafeUnwrap()),
});
