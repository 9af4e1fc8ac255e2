import { MemoryJournal, type RenderedConfig, type RollbackPlan, type RunEvent } from "@backflip/core";
import { fastFlip, redeploy } from "@backflip/core/recipes";
import { describe, expect, it } from "vitest";
import { type Fleet, fleetSha } from "../../src/index";
import { expectConverged, fleet, resume, run, topology } from "./fleet-run";

const A = fleetSha("resume A");
const B = fleetSha("resume B");
const C = fleetSha("resume C");
const who = { actor: "alice", reason: "resume drill" };

const path2Fleet = () =>
  fleet({
    active: "green",
    colors: {
      blue: { sha: C, running: false, healthy: true },
      green: { sha: B, running: true, healthy: true },
    },
    history: [
      { at: "2026-01-01T00:00:00.000Z", color: "green", sha: B },
      { at: "2025-12-31T23:00:00.000Z", color: "blue", sha: C },
      { at: "2025-12-31T22:00:00.000Z", color: "green", sha: A },
    ],
    artifacts: [A, C, B],
  });

/** The events a full, uninterrupted run of the plan journals. */
async function eventsOfFullRun(
  make: () => Fleet,
  plan: (f: Fleet) => Promise<RollbackPlan>,
): Promise<RunEvent[]> {
  const f = make();
  const journal = new MemoryJournal();
  (await run(f, await plan(f), { journal })).result._unsafeUnwrap();
  const ids = (await journal.list())._unsafeUnwrap();
  return (await journal.read(ids[0]!))._unsafeUnwrap().map((r) => r.event);
}

/** How many journal records a full, uninterrupted run of the plan writes. */
async function recordsOfFullRun(
  make: () => Fleet,
  plan: (f: Fleet) => Promise<RollbackPlan>,
): Promise<number> {
  return (await eventsOfFullRun(make, plan)).length;
}

/** Kills the run after every possible number of records, resumes it, and checks it converged. */
async function killAndResumeEverywhere(
  make: () => Fleet,
  plan: (f: Fleet) => Promise<RollbackPlan>,
  target: string,
  original: string,
) {
  const total = await recordsOfFullRun(make, plan);
  expect(total).toBeGreaterThan(10);
  for (let n = 1; n < total; n++) {
    const f = make();
    const killed = await run(f, await plan(f), { journal: f.crashingJournal(n), runId: `kill-at-${n}` });
    expect(killed.result.isErr(), `run killed after ${n} records`).toBe(true);
    f.clock.advance(120_000);
    const resumed = await resume(f, `kill-at-${n}`);
    const t = f.world.traffic();
    // live color = state file = history head, whichever way the run ended
    expect(t.liveColor, `n=${n}`).toBe(t.activeColor);
    expect(t.history[0]?.color, `n=${n}`).toBe(t.activeColor);
    expect([target, original]).toContain(t.activeColor);
    if (resumed.isOk()) {
      expect(resumed.value.state).toBe("succeeded");
      expect(t.activeColor).toBe(target);
    } else {
      expect(["refused", "reverted"], `n=${n}: ${resumed.error.message}`).toContain(resumed.error.kind);
      expect(t.activeColor).toBe(original);
    }
    // the record step never ran twice: at most one history line carries the run id
    expect(t.history.filter((h) => h.runId === `kill-at-${n}`).length, `n=${n}`).toBeLessThanOrEqual(1);
    expect(f.world.publicHealth()).toMatchObject({ status: 200 });
  }
}

describe("a killed run, resumed, converges (live color = state file = history head)", () => {
  it("fastFlip killed after every record", async () => {
    await killAndResumeEverywhere(
      () => fleet(),
      async (f) => (await fastFlip(topology, f.drivers, who))._unsafeUnwrap(),
      "blue",
      "green",
    );
  });

  it("redeploy killed after every record", async () => {
    await killAndResumeEverywhere(
      path2Fleet,
      async (f) => (await redeploy(topology, f.drivers, { ...who, sha: A }))._unsafeUnwrap(),
      "blue",
      "green",
    );
  });

  it("a run killed between install and reload never leaves the new config installed", async () => {
    for (const mode of ["revert", "continue"] as const) {
      const f = fleet();
      const before = f.world.traffic();
      const plan = (await fastFlip(topology, f.drivers, who))._unsafeUnwrap();
      const runId = `kill-in-activate-${mode}`;
      // the journal dies just as `activate` starts …
      const full = await eventsOfFullRun(fleet, async (g) =>
        (await fastFlip(topology, g.drivers, who))._unsafeUnwrap(),
      );
      const startsAt = full.findIndex((e) => e.type === "step.started" && e.stepId === "activate");
      (await run(f, plan, { journal: f.crashingJournal(startsAt), runId })).result._unsafeUnwrapErr();
      // … as if the killed process had journaled `step.started` and installed the config, not reloaded
      const written = (await f.journal.read(runId))._unsafeUnwrap();
      const last = written.at(-1)!.event;
      (
        await f.journal.append(runId, {
          seq: written.length,
          event: { type: "step.started", stepId: "activate", runId, at: last.at, elapsedMs: last.elapsedMs },
        })
      )._unsafeUnwrap();
      const rendered = written
        .map((r) => r.event)
        .find((e) => e.type === "step.succeeded" && e.stepId === "render-validate");
      const config = (rendered as { output: RenderedConfig }).output;
      (await f.drivers.traffic.install(config))._unsafeUnwrap();
      expect(f.world.traffic().installedRevision).toBe(config.revision);

      f.clock.advance(120_000);
      const resumed = await resume(f, runId, mode);
      const t = f.world.traffic();
      if (mode === "revert") {
        expect(resumed.isErr()).toBe(true);
        expect(t.liveColor).toBe("green");
        expect(t.installedRevision).toBe(before.installedRevision);
        expect(t.config).toBe(before.config);
      } else {
        expect(resumed.isOk()).toBe(true);
        expect(t.liveRevision).toBe(config.revision);
        expectConverged(f, "blue");
      }
    }
  });

  it("a killed run can be reverted instead", async () => {
    const f = fleet();
    const plan = (await fastFlip(topology, f.drivers, who))._unsafeUnwrap();
    const total = await recordsOfFullRun(fleet, async (g) =>
      (await fastFlip(topology, g.drivers, who))._unsafeUnwrap(),
    );
    (
      await run(f, plan, { journal: f.crashingJournal(total - 6), runId: "kill-late" })
    ).result._unsafeUnwrapErr();
    f.clock.advance(120_000);
    const reverted = await resume(f, "kill-late", "revert");
    expect(reverted.isErr()).toBe(true);
    const t = f.world.traffic();
    expect(t.liveColor).toBe("green");
    expect(t.activeColor).toBe("green");
    expect(t.history[0]?.color).toBe("green");
  });
});
