import { err, ok, type Result } from "neverthrow";
import { z } from "zod";
import { type DriverError, driverError } from "../errors/driver-error";
import type { PlanIntent } from "../plan/plan-intent";
import { parseTopology, type Topology } from "../topology/topology";
import { parseInput } from "../validate/parse-input";
import type { Drivers } from "./drivers";

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

/** Who runs a recipe: a login-like name (it is written into history lines). */
export const actorSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}$/, "expected a name like alice or alice@host (no spaces)");

/** Why, in the operator's words: one line, no control characters. */
export const reasonSchema = z
  .string()
  .min(1, "say why")
  .max(500)
  .refine((s) => !/\p{Cc}/u.test(s), "one line without control characters");

/** How the public health probe is run after a switch. */
export const probeOptionsSchema = z
  .object({
    attempts: z.number().int().min(1).max(100).optional(),
    deadlineMs: z.number().int().min(1).max(600_000).optional(),
    intervalMs: z.number().int().min(0).max(60_000).optional(),
    attemptTimeoutMs: z.number().int().min(1).max(60_000).optional(),
  })
  .strict();

/** The fields every recipe takes: who and why. */
export const recipeBaseSchema = z.object({ actor: actorSchema, reason: reasonSchema });

/** A color of the topology. */
export function colorSchema(topology: Topology): z.ZodType<string> {
  return z.enum(topology.colors);
}

/** Validates a recipe's topology and input; `invalid_input` naming the field, before anything runs. */
export function parseRecipeInput<S extends z.ZodType>(
  op: string,
  topology: Topology,
  schema: (topology: Topology) => S,
  input: unknown,
): Result<{ topology: Topology; input: z.output<S> }, DriverError> {
  return parseTopology(topology).andThen((t) =>
    parseInput(schema(t), input, { driver: RECIPE_DRIVER, op, hint: "fix the named input" }).map(
      (parsed) => ({ topology: t, input: parsed }),
    ),
  );
}

/**
 * {@link parseRecipeInput} for a recipe that needs the optional driver `key`: the
 * validated topology and input, and that driver (`unsupported` when it is missing).
 */
export function parseRecipeInputWith<S extends z.ZodType, K extends keyof Drivers>(
  op: string,
  topology: Topology,
  schema: (topology: Topology) => S,
  input: unknown,
  drivers: Drivers,
  key: K,
): Result<{ topology: Topology; input: z.output<S>; driver: NonNullable<Drivers[K]> }, DriverError> {
  return parseRecipeInput(op, topology, schema, input).andThen((parsed) =>
    requireDriver(drivers, key, op).map((driver) => ({ ...parsed, driver })),
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

/** The optional driver a recipe needs, or `unsupported` naming it. */
export function requireDriver<K extends keyof Drivers>(
  drivers: Drivers,
  key: K,
  op: string,
): Result<NonNullable<Drivers[K]>, DriverError> {
  const driver = drivers[key];
  return driver === undefined || driver === null
    ? err(
        driverError({
          driver: RECIPE_DRIVER,
          op,
          reason: "unsupported",
          message: `${op} needs a ${String(key)} driver and none was given`,
          hint: `pass drivers.${String(key)}`,
        }),
      )
    : ok(driver as NonNullable<Drivers[K]>);
}
