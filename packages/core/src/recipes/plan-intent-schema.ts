import type { Result } from "neverthrow";
import * as z from "zod";
import type { DriverError } from "../errors/driver-error";
import type { PlanIntent } from "../plan/plan-intent";
import type { Topology } from "../topology/topology";
import { parseInput } from "../validate/parse-input";
import { envNameSchema, recipePathSchema, shaSchema } from "../validate/schemas";
import { actorSchema, colorSchema, RECIPE_DRIVER, reasonSchema } from "./recipe-input";

/**
 * The zod schema of a recorded {@link PlanIntent} for `topology`: the same rules the
 * recipes apply to their input at the edge (actor, reason, colors of the topology, a full
 * SHA), since a journal is read back from disk and trusted no further than operator input.
 * `params` are each recipe's own, checked by the recipe that rebuilds the plan.
 */
export function planIntentSchema(topology: Topology) {
  return z.object({
    path: recipePathSchema,
    env: envNameSchema,
    from: colorSchema(topology).optional(),
    to: colorSchema(topology).optional(),
    sha: shaSchema.optional(),
    actor: actorSchema,
    reason: reasonSchema,
    params: z.record(z.string(), z.unknown()).optional(),
  });
}

/**
 * Checks an intent read back from a journal before a plan is rebuilt from it:
 * `invalid_input` naming the field (`intent.actor: …`), so nothing runs on a value the
 * recipe would have refused when the run was planned.
 */
export function parsePlanIntent(topology: Topology, intent: unknown): Result<PlanIntent, DriverError> {
  return parseInput(
    z.object({ intent: planIntentSchema(topology) }),
    { intent },
    {
      driver: RECIPE_DRIVER,
      op: "planForIntent",
      hint: "the journal holds an intent no recipe would have planned: do not resume this run; inspect the journal and act by hand",
    },
  ).map((parsed) => parsed.intent);
}
