import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LocalShell, renderAction, type Shell } from "@backflip/core";
import { quoteArgv } from "@backflip/core/driver-kit";
import { backendEnv, runSnapshotStoreConformance, skipUnlessBackend } from "@backflip/core/testing";
import { SshShell } from "@backflip/driver-ssh";
import { afterAll, describe, expect, it } from "vitest";
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

/**
 * The operator's `ssh` for pasted dry-run lines: the real client with the test key and
 * known_hosts (what their ~/.ssh/config would give it), first on PATH.
 */
async function operatorSshPath(): Promise<string> {
  const bin = await mkdtemp(join(tmpdir(), "bf-ssh-bin-"));
  const script = `#!/bin/sh\nexec ${quoteArgv(["/usr/bin/ssh", "-i", sshd?.SSH_KEY ?? "", "-o", `UserKnownHostsFile=${sshd?.SSH_KNOWN_HOSTS ?? ""}`, "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes"])._unsafeUnwrap()} "$@"\n`;
  await writeFile(join(bin, "ssh"), script, { mode: 0o755 });
  return bin;
}

describe.skipIf(skipUnlessBackend(zfs !== null && sshd !== null, "zfs+sshd", "scripts/backends up zfs sshd"))(
  "zfs over SSH: the dry run",
  () => {
    it("prints ssh lines that, pasted into sh, list and roll back the real dataset", async () => {
      const store = ZfsSnapshotStore.create({ shell: ssh! })._unsafeUnwrap();
      const { fixtures, teardown } = await freshDataset(store);
      const bin = await operatorSshPath();
      const paste = (line: string) =>
        execFileSync("sh", ["-c", line], {
          encoding: "utf8",
          env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
        });
      try {
        await fixtures.writeData("before");
        (await store.create(fixtures.dataset, "dry-run-1"))._unsafeUnwrap();
        await fixtures.writeData("after");
        const [list] = store.describe({ op: "list", dataset: fixtures.dataset }).map(renderAction);
        expect(list).toMatch(new RegExp(`^ssh -p ${sshd?.SSH_PORT} root@${sshd?.SSH_HOST} -- 'zfs get `));
        expect(paste(list!)).toContain(`${fixtures.dataset}@dry-run-1\tcreation\t`);
        const [rollback] = store
          .describe({ op: "rollback", dataset: fixtures.dataset, name: "dry-run-1" })
          .map(renderAction);
        expect(rollback).toBe(
          `ssh -p ${sshd?.SSH_PORT} root@${sshd?.SSH_HOST} -- 'zfs rollback -r ${fixtures.dataset}@dry-run-1'`,
        );
        paste(rollback!);
        expect(await fixtures.readData()).toBe("before");
      } finally {
        await teardown();
        await rm(bin, { recursive: true, force: true });
      }
    });
  },
);
