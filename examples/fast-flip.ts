/**
 * Path 1 — HAProxy fast-flip. Green's deploy is bad; blue is still alive: flip back.
 * Run: `npx tsx examples/fast-flip.ts`
 */
import { fastFlip } from "@backflip/core/recipes";
import type { Out } from "./lib/progress";
import { dryRunThenRun, runIfMain, simulatedFleet, topology } from "./lib/simulated";

/** Runs the example on a fresh simulated fleet; true when the flip succeeded. */
export async function main(out: Out): Promise<boolean> {
  const fleet = simulatedFleet();
  fleet.world.setColor("green", { healthy: false });
  const plan = await fastFlip(topology, fleet.drivers, { actor: "alice", reason: "green's deploy is bad" });
  if (plan.isErr()) {
    out(`cannot plan: ${plan.error.message} (next: ${plan.error.hint ?? "-"})`);
    return false;
  }
  const { ok } = await dryRunThenRun(fleet, plan.value, out);
  const t = fleet.world.traffic();
  out(`live color ${t.liveColor}, state file ${t.activeColor}, history head ${t.history[0]?.color}`);
  return ok && t.liveColor === "blue";
}

runIfMain(import.meta.url, main);
