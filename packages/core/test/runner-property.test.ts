import fc from "fast-check";
import { ok } from "neverthrow";
import { describe, expect, it } from "vitest";
import {
  MemoryJournal,
  MemoryLeaseLock,
  type RunError,
  type RunEvent,
  type RunReport,
  replayRun,
  resumeRun,
  runPlan,
  TERMINAL_STATES,
} from "../src/index";
import { CrashingJournal, manualClock, type StepSpec, World } from "./support/world";

const rarely = (n: number) => fc.integer({ min: 0, max: n - 1 }).map((i) => i === 0);

const scenarioArb = fc.record({
  checks: fc.array(fc.record({ fail: rarely(8), group: fc.integer({ min: 0, max: 2 }) }), { maxLength: 4 }),
  changes: fc.array(
    fc.record({
      fail: rarely(6),
      undoFails: rarely(8),
      noUndo: rarely(12),
      idempotent: fc.boolean(),
      reconcile: fc.boolean(),
    }),
    { maxLength: 5 },
  ),
  verifies: fc.array(fc.record({ fail: rarely(6) }), { maxLength: 2 }),
  abortAt: fc.option(fc.nat({ max: 20 }), { nil: undefined, freq: 3 }),
  /** Where the journal "crashes": a fraction of the run's records, then (for a second crash) records after the resume's start. */
  crashes: fc.array(
    fc.nat({ max: 999 }).map((n) => n / 1000),
    { maxLength: 2 },
  ),
  mode: fc.constantFrom("continue" as const, "revert" as const),
});

type Scenario = typeof scenarioArb extends fc.Arbitrary<infer S> ? S : never;

function specsOf(s: Scenario): StepSpec[] {
  const checks = [...s.checks]
    .sort((a, b) => a.group - b.group)
    .map((c, i): StepSpec => ({ id: `k${i}`, kind: "check", group: `g${c.group}`, fail: c.fail }));
  const changes = s.changes.map((c, i): StepSpec => ({ id: `c${i}`, kind: "change", ...c }));
  const verifies = s.verifies.map((v, i): StepSpec => ({ id: `v${i}`, kind: "verify", fail: v.fail }));
  const all = [...checks, ...changes, ...verifies];
  if (s.abortAt !== undefined && all.length > 0) {
    const i = s.abortAt % all.length;
    all[i] = { ...all[i]!, abortHere: true };
  }
  return all;
}

async function cleanRecordCount(specs: StepSpec[]): Promise<number> {
  const world = new World();
  let count = 0;
  await runPlan(world.plan(specs), {
    journal: new MemoryJournal(),
    lock: new MemoryLeaseLock(),
    signal: world.abort.signal,
    acknowledgeDataLoss: true,
    onEvent: () => count++,
  });
  return count;
}

/** Runs a scenario: crash(es) at the chosen records, each followed by a resume with a fresh runner. */
async function execute(s: Scenario) {
  const specs = specsOf(s);
  const total = await cleanRecordCount(specs);
  const world = new World();
  const journal = new MemoryJournal();
  const clock = manualClock();
  const lock = new MemoryLeaseLock({ now: clock.now });
  const crashing = (failAt: number | undefined) =>
    failAt === undefined ? journal : new CrashingJournal(journal, failAt);
  const first = s.crashes[0];
  let result = await runPlan(world.plan(specs), {
    journal: crashing(first === undefined ? undefined : Math.floor(first * total)),
    lock,
    now: clock.now,
    signal: world.abort.signal,
    acknowledgeDataLoss: true,
  });
  const runId = result.isOk() ? result.value.runId : result.error.runId!;
  const firstAttemptCalls = world.calls.length;
  let resumes = 0;
  while (result.isErr() && result.error.kind === "journal_failed") {
    const written = (await journal.read(runId)).unwrapOr([]).length;
    if (written === 0)
      return { specs, world, journal, runId, result, resumes, firstAttemptCalls, empty: true };
    clock.advance(61_000);
    const next = s.crashes[++resumes];
    result = await resumeRun(runId, {
      journal: crashing(next === undefined ? undefined : written + 1 + Math.floor(next * 12)),
      lock,
      now: clock.now,
      breakStaleLock: true,
      acknowledgeDataLoss: true,
      mode: s.mode,
      rebuild: (intent) => ok(world.plan(specs, intent)),
    });
    expect(resumes).toBeLessThan(10);
  }
  return { specs, world, journal, runId, result, resumes, firstAttemptCalls, empty: false };
}

const index = (call: string) => Number(call.slice(call.indexOf(":c") + 2));

describe("runner properties (random plans, failures, aborts, crashes and resumes)", () => {
  it("holds its invariants", async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb, async (s) => {
        const { specs, world, journal, runId, result, firstAttemptCalls, empty } = await execute(s);
        const changes = specs.filter((x) => x.kind === "change");
        const changeCalls = (calls: readonly string[]) =>
          calls.filter((c) => c.startsWith("run:") || c.startsWith("fail:"));

        if (empty) {
          // Killed before plan.started was durable: nothing may have run.
          expect(world.calls).toEqual([]);
          return;
        }

        // 1. No change before every check passed.
        const firstChange = world.calls.findIndex((c) => c.startsWith("run:") || c.startsWith("fail:"));
        if (firstChange >= 0) {
          for (const check of specs.filter((x) => x.kind === "check")) {
            expect(world.calls.slice(0, firstChange)).toContain(`check:${check.id}:ok`);
          }
        }
        if (specs.some((x) => x.kind === "check" && x.fail)) expect(changeCalls(world.calls)).toEqual([]);

        // 2. Completed changes are undone newest first (an interrupted undo may run twice in a row).
        const undos = world.calls.filter((c) => c.startsWith("undo:")).map(index);
        const collapsed = undos.filter((u, i) => i === 0 || undos[i - 1] !== u);
        for (let i = 1; i < collapsed.length; i++) expect(collapsed[i]).toBeLessThan(collapsed[i - 1]!);
        expect(world.badUndoOutputs).toEqual([]);

        // 3. A change that took effect is never run again unless it is idempotent; without
        //    reconcile or idempotence, an interrupted change is not run again at all.
        for (const change of changes) {
          const applied = world.calls.filter((c) => c === `run:${change.id}`).length;
          const tried = world.runs.get(change.id) ?? 0;
          if (!change.idempotent) expect(applied).toBeLessThanOrEqual(1);
          if (!change.idempotent && !change.reconcile) expect(tried).toBeLessThanOrEqual(1);
        }

        // 4. After an abort, no further change starts in that attempt.
        if (world.abortedAt !== undefined && world.abortedAt < firstAttemptCalls) {
          const after = world.calls.slice(world.abortedAt + 1, firstAttemptCalls);
          expect(changeCalls(after)).toEqual([]);
        }

        // 5. The run ends in a terminal state consistent with the world.
        const report: RunReport | undefined = result.isOk()
          ? result.value
          : (result.error as RunError).report;
        expect(report).toBeDefined();
        expect(TERMINAL_STATES).toContain(report!.state);
        const applied = [...world.applied].sort();
        switch (report!.state) {
          case "succeeded":
            expect(result.isOk()).toBe(true);
            expect(applied).toEqual(changes.map((c) => c.id).sort());
            break;
          case "refused":
          case "aborted":
          case "reverted":
            expect(applied).toEqual([]);
            break;
          case "revert_failed":
            expect(report!.steps.some((x) => x.outcome === "undo_failed" || x.outcome === "uncertain")).toBe(
              true,
            );
            break;
        }

        // 6. Replaying the journal reproduces the final report; records are whole and end with plan.finished.
        const records = (await journal.read(runId))._unsafeUnwrap();
        expect(records.map((r) => r.seq)).toEqual(records.map((_, i) => i));
        expect(records.filter((r) => r.event.type === "plan.finished")).toHaveLength(1);
        expect(records.at(-1)?.event.type).toBe("plan.finished" satisfies RunEvent["type"]);
        expect(replayRun(records)._unsafeUnwrap()).toEqual(report);
      }),
      { numRuns: 400 },
    );
  });

  it("resumes after a crash at every single record of a run", async () => {
    const specs: StepSpec[] = [
      { id: "k0", kind: "check", group: "g" },
      { id: "k1", kind: "check", group: "g" },
      { id: "c0", kind: "change" },
      { id: "c1", kind: "change", idempotent: true },
      { id: "c2", kind: "change", reconcile: true },
      { id: "c3", kind: "change", fail: true },
    ];
    const total = await cleanRecordCount(specs);
    for (let failAt = 1; failAt < total; failAt++) {
      const world = new World();
      const journal = new MemoryJournal();
      const clock = manualClock();
      const lock = new MemoryLeaseLock({ now: clock.now });
      const crashed = (
        await runPlan(world.plan(specs), {
          journal: new CrashingJournal(journal, failAt),
          lock,
          now: clock.now,
        })
      )._unsafeUnwrapErr();
      expect(crashed.kind).toBe("journal_failed");
      clock.advance(61_000);
      const resumed = (
        await resumeRun(crashed.runId!, {
          journal,
          lock,
          now: clock.now,
          breakStaleLock: true,
          rebuild: (intent) => ok(world.plan(specs, intent)),
        })
      )._unsafeUnwrapErr();
      expect(["reverted", "revert_failed"]).toContain(resumed.kind);
      expect(world.calls.filter((c) => c === "run:c0").length).toBeLessThanOrEqual(1);
      expect(world.calls.filter((c) => c === "run:c2").length).toBeLessThanOrEqual(1);
      if (resumed.kind === "reverted") expect([...world.applied]).toEqual([]);
      // Killed mid-change: c0 and c3 are neither idempotent nor reconcilable, so they stay uncertain.
      else expect(["c0", "c3"]).toContain(resumed.report?.steps.find((x) => x.outcome === "uncertain")?.id);
      const records = (await journal.read(crashed.runId!))._unsafeUnwrap();
      expect(replayRun(records)._unsafeUnwrap()).toEqual(resumed.report);
    }
  });
});
