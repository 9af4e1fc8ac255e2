import type { Result } from "neverthrow";
import * as z from "zod";
import { type DriverError, driverError } from "../errors/driver-error";
import type { PlanIntent } from "../plan/plan-intent";
import { parseTopology, type Topology } from "../topology/topology";
import { type TopologySection, type TopologyWith, topologyWith } from "../topology/topology-with";
import { lazySchema } from "../validate/lazy-schema";
import { parseInput } from "../validate/parse-input";
import { actorNameSchema, freeTextSchema } from "../validate/schemas";

/** The `driver` name recipe errors carry. */
export const RECIPE_DRIVER = "recipe";

/** An error of recipe `op` (planning, or a step's own check), with the runbook's next move as `hint`. */
export function recipeError(
  op: string,
  reason: DriverError["reason"],
  message: string,
  extra: { readonly hint?: string; readonly cause?: unknown } = {},
): DriverError {
  return driverError({ driver: RECIPE_DRIVER, op, reason, message, ...extra });
}

/** Who runs a recipe: the shared login-like {@link actorNameSchema} (it is written into history lines). */
export const actorSchema = actorNameSchema;

/** Why, in the operator's words: one line of printable text (the shared {@link freeTextSchema}). */
export const reasonSchema = lazySchema(() => freeTextSchema(500));

/** How the public health probe is run after a switch. */
export const probeOptionsSchema = lazySchema(() =>
  z
    .object({
      attempts: z.number().int().min(1).max(100).optional(),
      deadlineMs: z.number().int().min(1).max(600_000).optional(),
      intervalMs: z.number().int().min(0).max(60_000).optional(),
      attemptTimeoutMs: z.number().int().min(1).max(60_000).optional(),
    })
    .strict(),
);

/** The fields every recipe takes: who and why. */
export interface RecipeBaseInput {
  /** Who runs the recipe: a login-like name (written into history lines). */
  readonly actor: string;
  /** Why, in the operator's words: one line. */
  readonly reason: string;
}

/** How the public health probe is run after a switch (all optional). */
export interface ProbeOptionsInput {
  readonly attempts?: number;
  readonly deadlineMs?: number;
  readonly intervalMs?: number;
  readonly attemptTimeoutMs?: number;
}

/** The zod schema of {@link RecipeBaseInput}. */
export const recipeBaseSchema = lazySchema(() => z.object({ actor: actorSchema, reason: reasonSchema }));

/** A color of the topology. */
export function colorSchema(topology: Topology): z.ZodType<string> {
  return z.enum(topology.colors);
}

/**
 * Validates a recipe's topology, the topology sections it needs and its input:
 * `invalid_input` naming the field or the missing section, before anything runs.
 */
export function parseRecipeInput<S extends TopologySection, Z extends z.ZodType>(
  op: string,
  topology: Topology,
  sections: readonly S[],
  schema: (topology: Topology) => Z,
  input: unknown,
): Result<{ topology: TopologyWith<S>; input: z.output<Z> }, DriverError> {
  return parseTopology(topology)
    .andThen((t) => topologyWith(t, sections, op))
    .andThen((t) =>
      parseInput(schema(t), input, { driver: RECIPE_DRIVER, op, hint: "fix the named input" }).map(
        (parsed) => ({ topology: t, input: parsed }),
      ),
    );
}

/** Validates the params a plan's intent recorded (also on resume); `invalid_input` naming the field. */
export function parseParams<S extends z.ZodType>(
  schema: S,
  intent: PlanIntent,
  op: string,
): Result<z.output<S>, DriverError> {
  return parseInput(schema, intent.params ?? {}, { driver: RECIPE_DRIVER, op });
}
