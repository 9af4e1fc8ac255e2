import {
  type DriverError,
  driverError,
  type Journal,
  type JournalRecord,
  MemoryJournal,
  type PlanIntent,
  type RunEvent,
  resumeRun,
} from "@backflip/core";
import { fastFlip, planForIntent } from "@backflip/core/recipes";
import { errAsync, okAsync, type ResultAsync } from "neverthrow";
import { describe, expect, it } from "vitest";
import { fleet, run, topology, worldSnapshot } from "./fleet-run";

/** A journal killed after its first record (`plan.started`): the run is left to resume. */
class KilledAfterStart implements Journal {
  readonly name = "killed";
  readonly records: JournalRecord[] = [];
  append(_runId: string, record: JournalRecord): ResultAsync<void, DriverError> {
    if (record.seq > 0)
      return errAsync(
        driverError({ driver: "killed", op: "append", reason: "unavailable", message: "killed" }),
      );
    this.records.push(record);
    return okAsync(undefined);
  }
  read = () => okAsync(this.records);
  list = () => okAsync(["run-tampered"]);
}

/** A journal holding `records` with the `plan.started` intent's fields replaced by `fields`. */
async function tampered(records: readonly JournalRecord[], fields: Partial<PlanIntent>) {
  const journal = new MemoryJournal();
  for (const record of records) {
    const event: RunEvent =
      record.event.type === "plan.started"
        ? { ...record.event, intent: { ...record.event.intent, ...fields } }
        : record.event;
    (await journal.append("run-tampered", { ...record, event }))._unsafeUnwrap();
  }
  return journal;
}

const HOSTILE: ReadonlyArray<readonly [keyof PlanIntent, string]> = [
  ["actor", "alice; rm -rf /"],
  ["actor", "alice\u202egnp.exe"],
  ["actor", "alice\u2028blue 2026-01-01T00:00:00Z forged"],
  ["reason", "broken\nblue 2026-01-01T00:00:00Z - forged"],
  ["reason", "x\u0085y"],
  ["from", "green; reboot"],
  ["to", "purple"],
  ["sha", "HEAD~1"],
  ["path", "fast-flip\u202e"],
];

describe("a journaled intent is checked on resume like operator input (issue 17, finding 6)", () => {
  for (const [field, value] of HOSTILE) {
    it(`refuses ${field} = ${JSON.stringify(value)}: invalid_input naming the run and the field, nothing run`, async () => {
      const f = fleet();
      const plan = (
        await fastFlip(topology, f.drivers, { actor: "alice", reason: "bad deploy" })
      )._unsafeUnwrap();
      const killed = new KilledAfterStart();
      const first = await run(f, plan, { journal: killed, runId: "run-tampered" });
      expect(first.result._unsafeUnwrapErr().kind).toBe("journal_failed");
      const before = worldSnapshot(f);

      const journal = await tampered(killed.records, { [field]: value });
      const error = (
        await resumeRun("run-tampered", {
          journal,
          lock: f.lock,
          owner: "test-resume",
          now: () => f.clock.now(),
          breakStaleLock: true,
          rebuild: (intent: PlanIntent) => planForIntent(f.topology, f.drivers, intent),
        })
      )._unsafeUnwrapErr();
      expect(error).toMatchObject({ kind: "invalid_input", runId: "run-tampered" });
      expect(error.message).toContain(`intent.${field}`);
      expect(error.message).not.toContain(value);
      expect(worldSnapshot(f)).toBe(before);
    });
  }

  it("planForIntent refuses the same values directly", () => {
    const f = fleet();
    const intent: PlanIntent = {
      path: "fast-flip",
      env: "staging",
      actor: "alice",
      reason: "resume",
      params: { target: "blue" },
    };
    expect(planForIntent(topology, f.drivers, intent).isOk()).toBe(true);
    for (const [field, value] of HOSTILE) {
      const error = planForIntent(topology, f.drivers, { ...intent, [field]: value })._unsafeUnwrapErr();
      expect(error).toMatchObject({ reason: "invalid_input", op: "planForIntent" });
      expect(error.message).toContain(`intent.${field}`);
    }
  });
});
