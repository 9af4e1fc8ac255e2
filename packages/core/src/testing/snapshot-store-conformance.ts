import type { Result } from "neverthrow";
import { describe, expect, it } from "vitest";
import type { DriverError } from "../errors/driver-error";
import type { DatasetSnapshot, SnapshotStore } from "../ports/snapshot-store";
import type { ConformanceTarget } from "./conformance-target";
import { errValue, okValue } from "./result-values";
import { withFixture } from "./with-fixture";

/** What {@link runSnapshotStoreConformance} needs besides the store: a fresh dataset and a way to see its data. */
export interface SnapshotStoreFixtures {
  /** A dataset that exists and has no snapshots yet (fresh for each test). */
  readonly dataset: string;
  /** A well-formed dataset name that does not exist. */
  readonly missingDataset: string;
  /** Replaces the dataset's test data with `text` (a file in it, or the mock's state). */
  writeData(text: string): Promise<void>;
  /** The dataset's test data as last written (or restored by a rollback). */
  readData(): Promise<string>;
}

/**
 * The {@link SnapshotStore} contract: list oldest first, create, destroy, a read-only
 * data-loss plan, a rollback that is refused without acknowledgement and restores the
 * data with it, and `invalid_input` for bad names before anything changes.
 */
export function runSnapshotStoreConformance(
  target: ConformanceTarget<SnapshotStore, SnapshotStoreFixtures>,
): void {
  describe.skipIf(target.skip ?? false)(`SnapshotStore conformance: ${target.name}`, () => {
    const withStore = (use: (store: SnapshotStore, f: SnapshotStoreFixtures) => Promise<void>) =>
      withFixture(target, use);
    const names = (snapshots: readonly DatasetSnapshot[]) => snapshots.map((s) => s.name);

    it("has a name and lists no snapshots of a fresh dataset", async () => {
      await withStore(async (store, f) => {
        expect(store.name.length).toBeGreaterThan(0);
        expect(okValue(await store.list(f.dataset))).toEqual([]);
      });
    });

    it("creates snapshots and lists them oldest first with ISO creation times", async () => {
      await withStore(async (store, f) => {
        const first = okValue(await store.create(f.dataset, "pre-deploy-conformance-a"));
        expect(first).toMatchObject({ dataset: f.dataset, name: "pre-deploy-conformance-a" });
        expect(new Date(first.createdAt).toISOString()).toBe(first.createdAt);
        okValue(await store.create(f.dataset, "conformance-b"));
        okValue(await store.create(f.dataset, "conformance-c"));
        const listed = okValue(await store.list(f.dataset));
        expect(names(listed)).toEqual(["pre-deploy-conformance-a", "conformance-b", "conformance-c"]);
        for (const s of listed) expect(s.dataset).toBe(f.dataset);
      });
    });

    it("returns conflict for a snapshot name that exists", async () => {
      await withStore(async (store, f) => {
        okValue(await store.create(f.dataset, "twice"));
        expect(errValue(await store.create(f.dataset, "twice")).reason).toBe("conflict");
      });
    });

    it("returns not_found for a dataset that does not exist", async () => {
      await withStore(async (store, f) => {
        expect(errValue(await store.list(f.missingDataset)).reason).toBe("not_found");
        expect(errValue(await store.planRollback(f.dataset, "never-taken")).reason).toBe("not_found");
        expect(errValue(await store.destroy(f.dataset, "never-taken")).reason).toBe("not_found");
      });
    });

    const badNames: ReadonlyArray<readonly [string, string]> = [
      ["a space in the snapshot name", "two words"],
      ["an @ in the snapshot name", "a@b"],
      ["a shell metacharacter", "x;rm -rf /"],
      ["an empty snapshot name", ""],
      ["a leading dash (an option)", "-r"],
    ];
    for (const [what, snapshot] of badNames) {
      it(`returns invalid_input for ${what} and changes nothing`, async () => {
        await withStore(async (store, f) => {
          const results: Result<unknown, DriverError>[] = [
            await store.create(f.dataset, snapshot),
            await store.destroy(f.dataset, snapshot),
            await store.planRollback(f.dataset, snapshot),
            await store.rollback(f.dataset, snapshot, { acknowledgeDataLoss: true }),
          ];
          for (const r of results) expect(errValue(r).reason).toBe("invalid_input");
          expect(okValue(await store.list(f.dataset))).toEqual([]);
        });
      });
    }

    it("returns invalid_input for a malformed dataset name", async () => {
      await withStore(async (store) => {
        for (const dataset of ["", "/rooted", "pool//double", "pool/a b", "pool/x;id", "-rf"]) {
          expect(errValue(await store.list(dataset)).reason).toBe("invalid_input");
          expect(errValue(await store.create(dataset, "snap")).reason).toBe("invalid_input");
        }
      });
    });

    it("plans a rollback without changing anything: newer snapshots, time since, bytes or null", async () => {
      await withStore(async (store, f) => {
        await f.writeData("before");
        okValue(await store.create(f.dataset, "target"));
        await f.writeData("after");
        okValue(await store.create(f.dataset, "newer-1"));
        okValue(await store.create(f.dataset, "newer-2"));
        const report = okValue(await store.planRollback(f.dataset, "target"));
        expect(report.target.name).toBe("target");
        expect(names(report.destroyedSnapshots)).toEqual(["newer-1", "newer-2"]);
        expect(report.sinceMs).toBeGreaterThanOrEqual(0);
        expect(report.bytesWritten === null || report.bytesWritten >= 0).toBe(true);
        expect(names(okValue(await store.list(f.dataset)))).toEqual(["target", "newer-1", "newer-2"]);
        expect(await f.readData()).toBe("after");
      });
    });

    it("refuses a rollback without acknowledgeDataLoss, naming what would be lost, and changes nothing", async () => {
      await withStore(async (store, f) => {
        await f.writeData("before");
        okValue(await store.create(f.dataset, "pre-deploy-refused"));
        await f.writeData("after");
        okValue(await store.create(f.dataset, "later"));
        const refused = errValue(
          await store.rollback(f.dataset, "pre-deploy-refused", { acknowledgeDataLoss: false }),
        );
        expect(refused.reason).toBe("invalid_input");
        expect(refused.message).toContain("pre-deploy-refused");
        expect(refused.message).toContain("later");
        expect(names(okValue(await store.list(f.dataset)))).toEqual(["pre-deploy-refused", "later"]);
        expect(await f.readData()).toBe("after");
      });
    });

    it("rolls back with acknowledgeDataLoss: data restored, newer snapshots destroyed", async () => {
      await withStore(async (store, f) => {
        await f.writeData("at the snapshot");
        okValue(await store.create(f.dataset, "pre-deploy-restore"));
        await f.writeData("written after the snapshot");
        okValue(await store.create(f.dataset, "after-1"));
        const report = okValue(
          await store.rollback(f.dataset, "pre-deploy-restore", { acknowledgeDataLoss: true }),
        );
        expect(report.target.name).toBe("pre-deploy-restore");
        expect(names(report.destroyedSnapshots)).toEqual(["after-1"]);
        expect(await f.readData()).toBe("at the snapshot");
        expect(names(okValue(await store.list(f.dataset)))).toEqual(["pre-deploy-restore"]);
      });
    });

    it("destroys a snapshot and keeps the others", async () => {
      await withStore(async (store, f) => {
        okValue(await store.create(f.dataset, "keep"));
        okValue(await store.create(f.dataset, "drop"));
        okValue(await store.destroy(f.dataset, "drop"));
        expect(names(okValue(await store.list(f.dataset)))).toEqual(["keep"]);
      });
    });
  });
}
