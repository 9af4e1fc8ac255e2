import { err, type Result } from "neverthrow";
import type { DriverError } from "../errors/driver-error";
import type { PlanIntent } from "../plan/plan-intent";
import type { RollbackPlan } from "../plan/rollback-plan";
import type { Topology } from "../topology/topology";
import { applyInverseSqlPlanFromIntent } from "./apply-inverse-sql";
import { cleanupColorPlanFromIntent } from "./cleanup-color";
import type { Drivers } from "./drivers";
import { fastFlipPlanFromIntent } from "./fast-flip";
import { rebuildAndPushPlanFromIntent } from "./rebuild-and-push";
import { recipeError } from "./recipe-input";
import { redeployPlanFromIntent } from "./redeploy";
import { redeployViaPipelinePlanFromIntent } from "./redeploy-via-pipeline";
import { restoreSnapshotPlanFromIntent } from "./restore-snapshot";

/**
 * Rebuilds any recipe's plan — the same steps, the same ids — from the {@link PlanIntent}
 * recorded in the journal, without reading the world. This is what `resumeRun` needs:
 * `resumeRun(runId, { …, rebuild: (intent) => planForIntent(topology, drivers, intent) })`.
 * `invalid_input` when the intent is for another environment or its params are bad;
 * `unsupported` for custom plans.
 */
export function planForIntent(
  topology: Topology,
  drivers: Drivers,
  intent: PlanIntent,
): Result<RollbackPlan, DriverError> {
  if (intent.env !== topology.env)
    return err(
      recipeError(
        "planForIntent",
        "invalid_input",
        `the run is for env ${intent.env}, the topology is ${topology.env}`,
        { hint: "resume with the topology of the run's environment" },
      ),
    );
  switch (intent.path) {
    case "fast-flip":
      return fastFlipPlanFromIntent(topology, drivers, intent);
    case "redeploy":
      return redeployPlanFromIntent(topology, drivers, intent);
    case "redeploy-pipeline":
      return redeployViaPipelinePlanFromIntent(topology, drivers, intent);
    case "rebuild-push":
      return rebuildAndPushPlanFromIntent(topology, drivers, intent);
    case "inverse-sql":
      return applyInverseSqlPlanFromIntent(topology, drivers, intent);
    case "restore-snapshot":
      return restoreSnapshotPlanFromIntent(topology, drivers, intent);
    case "cleanup":
      return cleanupColorPlanFromIntent(topology, drivers, intent);
    default:
      return err(
        recipeError("planForIntent", "unsupported", `no recipe rebuilds a "${intent.path}" plan`, {
          hint: "resume a custom plan with your own rebuild function",
        }),
      );
  }
}
