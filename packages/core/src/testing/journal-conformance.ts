import { describe, expect, it } from "vitest";
import type { Journal, JournalRecord } from "../ports/journal";
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

/**
 * The Journal conformance suite: run it against every journal (file, memory, a
 * driver's own). Each test gets a fresh, empty journal from `target.setup()`.
 */
export function runJournalConformance(target: ConformanceTarget<Journal>): void {
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
