import type { z } from "zod";
import { type DriverError, driverError } from "./driver-error";

/**
 * Turns a zod failure into an `invalid_input` {@link DriverError} whose message names
 * every offending field, e.g. `color: expected one of blue, green (got "purple")`.
 */
export function invalidInput(
  driver: string,
  op: string,
  error: z.ZodError | string,
  hint?: string,
): DriverError {
  const message =
    typeof error === "string"
      ? error
      : error.issues
          .map((issue) => `${issue.path.length ? `${issue.path.join(".")}: ` : ""}${issue.message}`)
          .join("; ");
  return driverError({ driver, op, reason: "invalid_input", message, ...(hint ? { hint } : {}) });
}
