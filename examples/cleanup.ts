/**
 * Cleanup — once forensics are done, reclaim the failed color's slot (the **Veza cleanup**
 * workflow). The live color is always refused.
 * Run: `npx tsx examples/cleanup.ts`
 */
import { cleanupColor } from "@backflip/core/recipes";
import type { Out } from "./lib/progress";
import { dryRunThenRun, runIfMain, simulatedFleet, topology } from "./lib/simulated";

/** Runs the example on a fresh simulated fleet; true when the live color was refused and the failed one deleted. */
export async function main(out: Out): Promise<boolean> {
  const fleet = simulatedFleet();
  const who = { actor: "alice", reason: "forensics on blue are done" };
  const live = await cleanupColor(topology, fleet.drivers, { ...who, color: "green" });
  if (live.isErr())
    out(`cleaning the live color is refused: ${live.error.message} (next: ${live.error.hint})`);
  const plan = await cleanupColor(topology, fleet.drivers, { ...who, color: "blue" });
  if (plan.isErr()) {
    out(`cannot plan: ${plan.error.message}`);
    return false;
  }
  const { ok } = await dryRunThenRun(fleet, plan.value, out);
  return live.isErr() && ok && fleet.world.colorContainers("blue").length === 0;
}

runIfMain(import.meta.url, main);
