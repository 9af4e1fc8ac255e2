import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describeDataLoss } from "@backflip/core/recipes";
import { recordingShell } from "@backflip/core/testing/fakes";
import { describe, expect, it } from "vitest";
import { parseBytes, parseSnapshots } from "../src/parse-snapshots";
import { zfsFailure } from "../src/zfs-error";
import { ZfsSnapshotStore } from "../src/zfs-snapshot-store";

const fixture = (name: string) => readFileSync(join(import.meta.dirname, "fixtures", name), "utf8");
const failed = (name: string) => ({
  exitCode: 1,
  signal: null,
  stdout: "",
  stderr: fixture(name),
  truncated: false,
  durationMs: 1,
});

const PG = "rpool/incus/containers/veza-staging-postgres";
const FULL_SHA = "3f2a9c41d0b7e6a5c4d3e2f1a0b9c8d7e6f5a4b3";

describe("parsing zfs output", () => {
  it("reads OpenZFS 2.x snapshots oldest first, skipping the dataset and its children", () => {
    const snapshots = parseSnapshots(PG, fixture("openzfs-2.1-get-snapshots.txt"));
    expect(snapshots?.map((s) => s.name)).toEqual([
      "snapshot-nightly-2026-11-20",
      `pre-deploy-${FULL_SHA}`,
      "pre-deploy-9be1c0d2",
      "snapshot-manual",
    ]);
    expect(snapshots?.[1]).toEqual({
      dataset: PG,
      name: `pre-deploy-${FULL_SHA}`,
      createdAt: "2026-11-24T22:40:00.000Z",
    });
  });

  it("reads zfs-fuse snapshots and orders same-second ones by createtxg", () => {
    const snapshots = parseSnapshots("bftest/pg", fixture("zfs-fuse-get-snapshots.txt"));
    expect(snapshots?.map((s) => s.name)).toEqual(["pre-deploy-aaaaaaa", "s2", "s3"]);
    expect(snapshots?.[2]?.createdAt).toBe(new Date(1_795_671_621_000).toISOString());
  });

  it("refuses text dates rather than guessing their time zone", () => {
    expect(parseSnapshots("bftest/pg", fixture("zfs-fuse-get-without-p.txt"))).toBeNull();
  });

  it("reads written@ bytes on OpenZFS and nothing from zfs-fuse's refusal", () => {
    expect(parseBytes(fixture("openzfs-2.1-get-written.txt"))).toBe(10_735_616);
    expect(zfsFailure("plan", "get", "h", failed("zfs-fuse-get-written.txt")).reason).toBe("unsupported");
  });

  const reasons: ReadonlyArray<readonly [string, string]> = [
    ["openzfs-2.1-missing-dataset.txt", "not_found"],
    ["zfs-fuse-missing-dataset.txt", "not_found"],
    ["openzfs-2.1-destroy-missing.txt", "not_found"],
    ["zfs-fuse-destroy-missing.txt", "not_found"],
    ["openzfs-2.1-snapshot-exists.txt", "conflict"],
    ["zfs-fuse-snapshot-exists.txt", "conflict"],
    ["openzfs-2.1-rollback-more-recent.txt", "conflict"],
    ["zfs-fuse-rollback-more-recent.txt", "conflict"],
    ["openzfs-2.1-rollback-busy.txt", "conflict"],
    ["openzfs-2.1-no-module.txt", "unavailable"],
    ["zfs-fuse-no-daemon.txt", "unavailable"],
    ["openzfs-2.1-permission-denied.txt", "unauthorized"],
  ];
  for (const [file, reason] of reasons) {
    it(`maps ${file} to ${reason}, keeping zfs's words`, () => {
      const e = zfsFailure("op", "zfs something", "host", failed(file));
      expect(e.reason).toBe(reason);
      expect(e.message).toContain(fixture(file).split("\n")[0]);
    });
  }

  it("maps a missing zfs binary (exit 127) to unavailable", () => {
    const e = zfsFailure("list", "listing", "host", {
      ...failed("zfs-fuse-no-daemon.txt"),
      exitCode: 127,
      stderr: "sh: zfs: not found",
    });
    expect(e.reason).toBe("unavailable");
    expect(e.message).toContain("not installed");
  });
});

describe("ZfsSnapshotStore on fixture output", () => {
  const openzfs = () =>
    recordingShell((argv) => {
      if (argv.includes("createtxg,creation")) return { stdout: fixture("openzfs-2.1-get-snapshots.txt") };
      if (argv.some((a) => a.startsWith("written@")))
        return { stdout: fixture("openzfs-2.1-get-written.txt") };
      if (argv.includes("rollback")) return {};
      return undefined;
    });
  const now = () => Date.parse("2026-11-26T10:40:00Z");

  it("runs zfs as argv, one word per argument", async () => {
    const shell = openzfs();
    const store = ZfsSnapshotStore.create({ shell, zfsCommand: ["sudo", "-n", "zfs"], now })._unsafeUnwrap();
    await store.planRollback(PG, "pre-deploy-9be1c0d2");
    expect(shell.argvs()).toEqual([
      [
        "sudo",
        "-n",
        "zfs",
        "get",
        "-H",
        "-p",
        "-r",
        "-d",
        "1",
        "-o",
        "name,property,value",
        "createtxg,creation",
        PG,
      ],
      ["sudo", "-n", "zfs", "get", "-H", "-p", "-o", "value", "written@pre-deploy-9be1c0d2", PG],
    ]);
  });

  it("plans an OpenZFS rollback with newer snapshots, time since and bytes written", async () => {
    const store = ZfsSnapshotStore.create({ shell: openzfs(), now })._unsafeUnwrap();
    const report = (await store.planRollback(PG, `pre-deploy-${FULL_SHA}`))._unsafeUnwrap();
    expect(report.destroyedSnapshots.map((s) => s.name)).toEqual(["pre-deploy-9be1c0d2", "snapshot-manual"]);
    expect(report.sinceMs).toBe(36 * 3600 * 1000);
    expect(report.bytesWritten).toBe(10_735_616);
    expect(describeDataLoss(report)).toContain("36h 0m ago");
    expect(describeDataLoss(report)).toContain("10735616 bytes written since");
  });

  it("reports bytesWritten null on zfs-fuse and stops asking", async () => {
    const shell = recordingShell((argv) => {
      if (argv.includes("createtxg,creation")) return { stdout: fixture("zfs-fuse-get-snapshots.txt") };
      if (argv.some((a) => a.startsWith("written@")))
        return { exitCode: 2, stderr: fixture("zfs-fuse-get-written.txt") };
      return undefined;
    });
    const store = ZfsSnapshotStore.create({ shell })._unsafeUnwrap();
    expect((await store.planRollback("bftest/pg", "s2"))._unsafeUnwrap().bytesWritten).toBeNull();
    expect((await store.planRollback("bftest/pg", "s2"))._unsafeUnwrap().bytesWritten).toBeNull();
    expect(shell.argvs().filter((c) => c.some((a) => a.startsWith("written@")))).toHaveLength(1);
  });

  it("finds the newest pre-deploy snapshot, or the one for a SHA (full or short)", async () => {
    const store = ZfsSnapshotStore.create({ shell: openzfs() })._unsafeUnwrap();
    expect((await store.findPreDeploy(PG))._unsafeUnwrap().name).toBe("pre-deploy-9be1c0d2");
    expect((await store.findPreDeploy(PG, { sha: FULL_SHA.slice(0, 7) }))._unsafeUnwrap().name).toBe(
      `pre-deploy-${FULL_SHA}`,
    );
    expect((await store.findPreDeploy(PG, { sha: `9be1c0d2${"0".repeat(32)}` }))._unsafeUnwrap().name).toBe(
      "pre-deploy-9be1c0d2",
    );
    const missing = (await store.findPreDeploy(PG, { sha: "abcdef1" }))._unsafeUnwrapErr();
    expect(missing.reason).toBe("not_found");
    expect(missing.message).toContain("@pre-deploy-9be1c0d2");
    expect((await store.findPreDeploy(PG, { sha: "not-a-sha" }))._unsafeUnwrapErr().reason).toBe(
      "invalid_input",
    );
  });

  it("uses the topology's snapshot prefix", async () => {
    const shell = openzfs();
    const { vezaTopology } = await import("@backflip/core/recipes");
    const topology = vezaTopology("staging", {
      snapshots: { datasetPattern: "rpool/incus/containers/{container}", prefix: "snapshot-" },
    });
    const store = ZfsSnapshotStore.create({ shell, topology })._unsafeUnwrap();
    expect((await store.findPreDeploy(PG))._unsafeUnwrap().name).toBe("snapshot-manual");
  });

  it("refuses a rollback without acknowledgement before running zfs rollback", async () => {
    const shell = openzfs();
    const store = ZfsSnapshotStore.create({ shell, now })._unsafeUnwrap();
    const e = (
      await store.rollback(PG, "pre-deploy-9be1c0d2", { acknowledgeDataLoss: false })
    )._unsafeUnwrapErr();
    expect(e.reason).toBe("invalid_input");
    expect(e.message).toContain("@snapshot-manual");
    expect(shell.argvs().some((c) => c.includes("rollback"))).toBe(false);
    const done = (
      await store.rollback(PG, "pre-deploy-9be1c0d2", { acknowledgeDataLoss: true })
    )._unsafeUnwrap();
    expect(done.destroyedSnapshots.map((s) => s.name)).toEqual(["snapshot-manual"]);
    expect(shell.argvs().at(-1)).toEqual(["zfs", "rollback", "-r", `${PG}@pre-deploy-9be1c0d2`]);
  });

  it("validates names before running anything", async () => {
    const shell = openzfs();
    const store = ZfsSnapshotStore.create({ shell })._unsafeUnwrap();
    expect((await store.create(`${PG}; rm -rf /`, "x"))._unsafeUnwrapErr().reason).toBe("invalid_input");
    expect((await store.destroy(PG, "$(reboot)"))._unsafeUnwrapErr().reason).toBe("invalid_input");
    expect(
      (
        await store.rollback(PG, "ok", { acknowledgeDataLoss: "yes" as unknown as boolean })
      )._unsafeUnwrapErr().reason,
    ).toBe("invalid_input");
    expect(shell.argvs()).toEqual([]);
  });
});
