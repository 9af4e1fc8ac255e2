import type { Result } from "neverthrow";
import type { DriverError } from "../errors/driver-error";
import type { PlanIntent } from "../plan/plan-intent";
import type { RollbackPlan } from "../plan/rollback-plan";
import type { Topology } from "../topology/topology";
import { applyInverseSqlRecipe } from "./apply-inverse-sql";
import { cleanupColorRecipe } from "./cleanup-color";
import type { Drivers } from "./drivers";
import { fastFlipRecipe } from "./fast-flip";
import { fleetFlipRecipe } from "./fleet-flip";
import { rebuildAndPushRecipe } from "./rebuild-and-push";
import { createRecipeRegistry, type RecipeRegistry } from "./recipe-registry";
import { redeployRecipe } from "./redeploy";
import { redeployViaPipelineRecipe } from "./redeploy-via-pipeline";
import { restoreSnapshotRecipe } from "./restore-snapshot";

/** The runbook's recipes: add your own with `builtInRecipes.with(myRecipe)`. */
export const builtInRecipes: RecipeRegistry = createRecipeRegistry([
  fastFlipRecipe,
  fleetFlipRecipe,
  redeployRecipe,
  redeployViaPipelineRecipe,
  rebuildAndPushRecipe,
  applyInverseSqlRecipe,
  restoreSnapshotRecipe,
  cleanupColorRecipe,
]);

/**
 * Rebuilds a built-in recipe's plan — the same steps, the same ids — from the
 * {@link PlanIntent} recorded in the journal, without reading the world. This is what
 * `resumeRun` needs: `resumeRun(runId, { …, rebuild: (intent) => planForIntent(topology, drivers, intent) })`.
 * For your own recipes too, use a registry: `builtInRecipes.with(mine).planForIntent(…)`.
 */
export function planForIntent(
  topology: Topology,
  drivers: Partial<Drivers>,
  intent: PlanIntent,
): Result<RollbackPlan, DriverError> {
  return builtInRecipes.planForIntent(topology, drivers, intent);
}
