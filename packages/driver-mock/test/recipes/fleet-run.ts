import {
  type FullTopology,
  type Journal,
  type PlanIntent,
  type RollbackPlan,
  type RunEvent,
  resumeRun,
  runPlan,
} from "@backflip/core";
import { planForIntent, vezaTopology } from "@backflip/core/recipes";
import { expect } from "vitest";
import { createFleet, type Fleet, type FleetScenario } from "../../src/index";

/** The staging topology with each container's own health URL on the fleet. */
export const topology: FullTopology = vezaTopology("staging", {
  containers: {
    ...vezaTopology("staging").containers,
    app: {
      releaseFile: "/opt/veza/RELEASE",
      stageDir: "/opt/veza/releases",
      localHealthUrl: "http://{container}.fleet/api/v1/health",
    },
  },
});

/** A fleet on the test topology. */
export function fleet(scenario?: FleetScenario): Fleet {
  return createFleet({ topology, ...(scenario ? { scenario } : {}) });
}

/** Runs a plan on the fleet's journal, lock and clock, collecting events. */
export async function run(
  f: Fleet,
  plan: RollbackPlan,
  extra: { journal?: Journal; acknowledgeDataLoss?: boolean; runId?: string } = {},
) {
  const events: RunEvent[] = [];
  const result = await runPlan(plan, {
    journal: extra.journal ?? f.journal,
    lock: f.lock,
    owner: "test",
    now: () => f.clock.now(),
    onEvent: (e) => events.push(e),
    ...(extra.runId ? { runId: extra.runId } : {}),
    ...(extra.acknowledgeDataLoss ? { acknowledgeDataLoss: true } : {}),
  });
  return { result, events };
}

/** Resumes a killed run with the fleet's own journal, rebuilding the plan from its intent. */
export function resume(f: Fleet, runId: string, mode: "continue" | "revert" = "continue") {
  return resumeRun(runId, {
    journal: f.journal,
    lock: f.lock,
    owner: "test-resume",
    now: () => f.clock.now(),
    mode,
    breakStaleLock: true,
    rebuild: (intent: PlanIntent) => planForIntent(f.topology, f.drivers, intent),
  });
}

/** Live color = state file = history head. */
export function expectConverged(f: Fleet, color: string) {
  const t = f.world.traffic();
  expect(t.liveColor).toBe(color);
  expect(t.activeColor).toBe(color);
  expect(t.history[0]?.color).toBe(color);
}

/** A snapshot of what a side-effect-free call must leave untouched. */
export function worldSnapshot(f: Fleet) {
  return JSON.stringify({
    traffic: f.world.traffic(),
    containers: f.world.containers().map((c) => ({ ...c, files: [...c.files.keys()].sort() })),
    artifacts: f.world.artifacts(),
    runs: f.world.runs(),
    migration: f.world.migration(),
    datasets: f.world.datasets(),
  });
}
