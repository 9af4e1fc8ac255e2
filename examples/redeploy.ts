/**
 * Path 2 — re-deploy an older SHA natively: blue was recycled for another release, so
 * stage A's artifacts into blue, start and check it, flip, probe (reverting on failure).
 * Run: `npx tsx examples/redeploy.ts`
 */
import { redeploy } from "@backflip/core/recipes";
import { fleetSha } from "@backflip/driver-mock";
import type { Out } from "./lib/progress";
import { dryRunThenRun, runIfMain, simulatedFleet, topology } from "./lib/simulated";

/** Runs the example on a fresh simulated fleet; true when A is live. */
export async function main(out: Out): Promise<boolean> {
  const [a, b, c] = [fleetSha("A: known good"), fleetSha("B: bad"), fleetSha("C: recycled blue")];
  const fleet = simulatedFleet({
    active: "green",
    colors: {
      blue: { sha: c, running: false, healthy: true },
      green: { sha: b, running: true, healthy: false },
    },
    history: [
      { at: "2026-01-01T00:00:00.000Z", color: "green", sha: b },
      { at: "2025-12-31T23:00:00.000Z", color: "blue", sha: c },
      { at: "2025-12-31T22:00:00.000Z", color: "green", sha: a },
    ],
    artifacts: [a, c, b],
    migration: { version: 12, dirty: false },
  });
  const plan = await redeploy(topology, fleet.drivers, { actor: "alice", reason: "roll back to A", sha: a });
  if (plan.isErr()) {
    out(`cannot plan: ${plan.error.message} (next: ${plan.error.hint ?? "-"})`);
    return false;
  }
  const { ok } = await dryRunThenRun(fleet, plan.value, out);
  const head = fleet.world.traffic().history[0];
  out(`history head: ${head?.color} ${head?.sha}`);
  return ok && head?.sha === a;
}

runIfMain(import.meta.url, main);
