/**
 * Path 2 through the pipeline: the prior color was cleaned up, so dispatch the
 * `Veza rollback` workflow (`rollback.yml`, `mode=full`, `release_sha`) and follow it.
 * Run: `npx tsx examples/redeploy-via-pipeline.ts`
 */
import { redeployViaPipeline } from "@backflip/core/recipes";
import type { Out } from "./lib/progress";
import { dryRunThenRun, runIfMain, simulatedFleet, topology } from "./lib/simulated";

/** Runs the example on a fresh simulated fleet; true when the workflow succeeded and the SHA is live. */
export async function main(out: Out): Promise<boolean> {
  const fleet = simulatedFleet();
  const prior = fleet.world.traffic().history.find((h) => h.color === "blue")?.sha;
  fleet.world.destroyColor("blue");
  if (!prior) return false;
  const plan = await redeployViaPipeline(topology, fleet.drivers, {
    actor: "alice",
    reason: "blue was cleaned up",
    sha: prior,
  });
  if (plan.isErr()) {
    out(`cannot plan: ${plan.error.message} (next: ${plan.error.hint ?? "-"})`);
    return false;
  }
  const { ok } = await dryRunThenRun(fleet, plan.value, out);
  for (const r of fleet.world.runs())
    out(`workflow run ${r.id} ${r.workflow}: ${r.status} — ${r.log.join("; ")}`);
  return ok && fleet.world.traffic().history[0]?.sha === prior;
}

runIfMain(import.meta.url, main);
