import type { DriverError, RollbackPlan } from "@backflip/core";
import { type Decision, fastFlip, redeploy, requireDrivers } from "@backflip/core/recipes";
import { okAsync, type ResultAsync } from "neverthrow";
import type { ServiceTarget } from "./service-target";

/** The plan a decision calls for, or why the service offers none (the operator's CLI handles that path). */
export type OfferedPlan = { readonly plan: RollbackPlan } | { readonly plan: null; readonly why: string };

/** Who proposes the plan before anyone approves it (the approver becomes its actor). */
export const PROPOSER = "alertmanager";

/**
 * Builds the plan a decision calls for: Path 1 (`fastFlip`, also for a fleet to converge)
 * and Path 2 (`redeploy`). Anything else — no rollback, or Path 3, which loses data or
 * needs an operator's file — gets no plan and the reason. Planning reads the world, never
 * changes it; a driver's failure is the error.
 */
export function planForDecision(
  target: ServiceTarget,
  decision: Decision,
  reason: string,
): ResultAsync<OfferedPlan, DriverError> {
  const { topology, drivers } = target;
  const base = { actor: PROPOSER, reason };
  if (decision.action !== "rollback")
    return okAsync({ plan: null, why: `decide() says ${decision.action}: nothing to run` });
  const color = decision.target?.color;
  const sha = decision.target?.sha;
  if ((decision.recipe === "fast-flip" || decision.recipe === "fleet-flip") && color)
    return fastFlip(topology, drivers, { ...base, target: color }).map((plan) => ({ plan }));
  if (decision.recipe === "redeploy" && sha)
    return requireDrivers(drivers, ["registry"], "redeploy")
      .asyncAndThen((d) => redeploy(topology, d, { ...base, sha }))
      .map((plan) => ({ plan }));
  return okAsync({
    plan: null,
    why: `Path ${decision.path ?? "?"} (${decision.recipe ?? "?"}) needs an operator at the CLI: the service offers Paths 1 and 2 only`,
  });
}
