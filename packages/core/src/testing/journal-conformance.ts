import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import type { Journal, JournalRecord } from "../ports/journal";
import type { LeaseLock } from "../ports/lease-lock";
import type { RunEvent } from "../runner/run-event";
import type { ConformanceTarget } from "./conformance-target";
import { withFixture } from "./with-fixture";

function event(runId: string, i: number): RunEvent {
  return i === 0
    ? {
        type: "plan.started",
        runId,
        at: new Date(1_700_000_000_000).toISOString(),
        elapsedMs: 0,
        owner: "alice@host pid 1",
        intent: { path: "custom", env: "staging", actor: "alice", reason: "conformance", params: { n: 1 } },
        steps: [
          {
            id: "flip",
            title: "Flip",
            kind: "change",
            destructive: false,
            idempotent: true,
            undoable: true,
            actions: ["incus exec veza-staging-haproxy -- true"],
          },
        ],
      }
    : {
        type: "step.succeeded",
        runId,
        at: new Date(1_700_000_000_000 + i).toISOString(),
        elapsedMs: i,
        stepId: "flip",
        durationMs: 1,
        output: {
          previous: "blue",
          nested: { list: [1, "two", null, true] },
          text: 'quote " and \n newline',
        },
      };
}

const records = (runId: string, n: number): JournalRecord[] =>
  Array.from({ length: n }, (_, seq) => ({ seq, event: event(runId, seq) }));

/** What a journal's conformance target may add to the journal under test. */
export interface JournalFixtures {
  /**
   * The lock whose leases fence this journal (same store, e.g. the same directory or
   * anchor): the fenced-append tests take, break and retake leases on it. Without it
   * they are skipped.
   */
  readonly lock?: LeaseLock;
  /**
   * Opens a second client of the same journal store (another process's or machine's
   * view of it): the stale-writer tests append through both. Without it they are skipped.
   */
  readonly reopen?: () => Journal;
}

/** Long enough that a lease taken in a test never expires by itself during it. */
const LONG = 60_000;
/** Short enough to expire in the test; the suite waits `EXPIRED_AFTER` for it. */
const SHORT = 30;
const EXPIRED_AFTER = 120;

/**
 * The Journal conformance suite: run it against every journal (file, memory, a
 * driver's own). Each test gets a fresh, empty journal from `target.setup()`, with
 * `fixtures.lock` when the journal is fenced by a lease lock and `fixtures.reopen` when
 * a second client of the same store can be opened (see {@link JournalFixtures}).
 */
export function runJournalConformance(target: ConformanceTarget<Journal, JournalFixtures>): void {
  describe.skipIf(target.skip ?? false)(`Journal conformance: ${target.name}`, () => {
    it("reads back appended records in order, unchanged", () =>
      withFixture(target, async (journal) => {
        const written = records("20261126T053300Z-3fa9c1", 5);
        for (const record of written) {
          expect((await journal.append("20261126T053300Z-3fa9c1", record)).isOk()).toBe(true);
        }
        const read = await journal.read("20261126T053300Z-3fa9c1");
        expect(read._unsafeUnwrap()).toEqual(written);
      }));

    it("reads back records appended without sync like synced ones, in order", () =>
      withFixture(target, async (journal) => {
        const written = records("run-lazy", 4);
        for (const record of written) {
          const sync = record.seq === 2;
          expect((await journal.append("run-lazy", record, { sync })).isOk()).toBe(true);
        }
        expect((await journal.read("run-lazy"))._unsafeUnwrap()).toEqual(written);
      }));

    it("keeps runs apart and lists them", () =>
      withFixture(target, async (journal) => {
        for (const record of records("run-b", 2)) await journal.append("run-b", record);
        for (const record of records("run-a", 3)) await journal.append("run-a", record);
        expect((await journal.read("run-a"))._unsafeUnwrap()).toHaveLength(3);
        expect((await journal.read("run-b"))._unsafeUnwrap()).toHaveLength(2);
        expect([...(await journal.list())._unsafeUnwrap()].sort()).toEqual(["run-a", "run-b"]);
      }));

    it("lists nothing and reads not_found when empty", () =>
      withFixture(target, async (journal) => {
        expect((await journal.list())._unsafeUnwrap()).toEqual([]);
        const read = await journal.read("no-such-run");
        expect(read._unsafeUnwrapErr().reason).toBe("not_found");
      }));

    it("accepts appends to different runs at the same time", () =>
      withFixture(target, async (journal) => {
        const ids = ["p1", "p2", "p3", "p4"];
        await Promise.all(
          ids.map(async (id) => {
            for (const record of records(id, 4)) {
              expect((await journal.append(id, record)).isOk()).toBe(true);
            }
          }),
        );
        for (const id of ids) expect((await journal.read(id))._unsafeUnwrap()).toEqual(records(id, 4));
      }));

    it("refuses an append at a seq already used, keeping what was written", () =>
      withFixture(target, async (journal) => {
        const written = records("run-dup", 3);
        for (const record of written.slice(0, 2)) await journal.append("run-dup", record);
        const again = await journal.append("run-dup", { seq: 1, event: event("run-dup", 7) });
        expect(again._unsafeUnwrapErr().reason).toBe("conflict");
        expect((await journal.append("run-dup", written[2]!)).isOk()).toBe(true);
        expect((await journal.read("run-dup"))._unsafeUnwrap()).toEqual(written);
      }));

    it("refuses a stale writer's append at a seq another client already used", (ctx) =>
      withFixture(target, async (journal, { reopen }) => {
        if (!reopen) return ctx.skip("no second client of this journal's store (fixtures.reopen)");
        const run = "run-two-writers";
        const written = records(run, 4);
        for (const record of written.slice(0, 3)) {
          expect((await journal.append(run, record)).isOk()).toBe(true);
        }
        const other = reopen();
        expect((await other.read(run))._unsafeUnwrap()).toEqual(written.slice(0, 3));
        expect((await other.append(run, written[3]!)).isOk()).toBe(true);
        const stale = await journal.append(run, { seq: 3, event: event(run, 9) });
        expect(stale._unsafeUnwrapErr().reason).toBe("conflict");
        expect((await journal.read(run))._unsafeUnwrap()).toEqual(written);
        expect((await other.read(run))._unsafeUnwrap()).toEqual(written);
      }));

    it("refuses a fenced append once the writer's lease was broken and retaken, writing nothing", (ctx) =>
      withFixture(target, async (journal, { lock }) => {
        if (!lock) return ctx.skip("the journal is not fenced by a lease lock (fixtures.lock)");
        const run = "run-fenced";
        const written = records(run, 3);
        const old = (await lock.acquire("staging", { owner: "alice run 1", ttlMs: SHORT }))._unsafeUnwrap();
        const oldFence = { key: "staging", token: old.token };
        expect((await journal.append(run, written[0]!, { fence: oldFence })).isOk()).toBe(true);
        await sleep(EXPIRED_AFTER);
        (await lock.breakStale("staging"))._unsafeUnwrap();
        const broken = await journal.append(run, written[1]!, { fence: oldFence });
        expect(broken._unsafeUnwrapErr()).toMatchObject({ reason: "conflict", details: { fenced: true } });
        const next = (await lock.acquire("staging", { owner: "bob run 1", ttlMs: LONG }))._unsafeUnwrap();
        const stale = await journal.append(run, written[1]!, { fence: oldFence });
        expect(stale._unsafeUnwrapErr()).toMatchObject({ reason: "conflict", details: { fenced: true } });
        expect((await journal.read(run))._unsafeUnwrap()).toEqual(written.slice(0, 1));
        const fence = { key: "staging", token: next.token };
        for (const record of written.slice(1)) {
          expect((await journal.append(run, record, { fence })).isOk()).toBe(true);
        }
        expect((await journal.read(run))._unsafeUnwrap()).toEqual(written);
      }));

    it("refuses a fenced append from a holder that released its lease, and keeps other keys apart", (ctx) =>
      withFixture(target, async (journal, { lock }) => {
        if (!lock) return ctx.skip("the journal is not fenced by a lease lock (fixtures.lock)");
        const run = "run-released";
        const written = records(run, 2);
        const lease = (await lock.acquire("staging", { owner: "alice run 1", ttlMs: LONG }))._unsafeUnwrap();
        const other = (await lock.acquire("prod", { owner: "carol run 1", ttlMs: LONG }))._unsafeUnwrap();
        expect(other.key).toBe("prod");
        const fence = { key: "staging", token: lease.token };
        expect((await journal.append(run, written[0]!, { fence })).isOk()).toBe(true);
        (await lock.release(lease))._unsafeUnwrap();
        const late = await journal.append(run, written[1]!, { fence });
        expect(late._unsafeUnwrapErr()).toMatchObject({ reason: "conflict", details: { fenced: true } });
        expect((await journal.read(run))._unsafeUnwrap()).toEqual(written.slice(0, 1));
      }));

    it("refuses run ids that are not plain names (invalid_input), writing nothing", () =>
      withFixture(target, async (journal) => {
        for (const bad of ["", "../escape", "a/b", ".hidden", "x\ny"]) {
          const append = await journal.append(bad, records(bad, 1)[0]!);
          expect(append._unsafeUnwrapErr().reason).toBe("invalid_input");
          expect((await journal.read(bad))._unsafeUnwrapErr().reason).toBe("invalid_input");
        }
        expect((await journal.list())._unsafeUnwrap()).toEqual([]);
      }));
  });
}
