import { err, ok, type Result } from "neverthrow";
import type { z } from "zod";
import type { DriverError } from "../errors/driver-error";
import { invalidInput } from "../errors/invalid-input";

/**
 * Validates `value` at a public entry point. On failure returns an `invalid_input`
 * {@link DriverError} naming the field — before any side effect.
 */
export function parseInput<S extends z.ZodType>(
  schema: S,
  value: unknown,
  where: { driver: string; op: string; hint?: string },
): Result<z.output<S>, DriverError> {
  const parsed = schema.safeParse(value);
  return parsed.success
    ? ok(parsed.data)
    : err(invalidInput(where.driver, where.op, parsed.error, where.hint));
}
