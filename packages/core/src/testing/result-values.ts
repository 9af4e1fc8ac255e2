import type { Result } from "neverthrow";
import { expect } from "vitest";
import { type DriverError, formatDriverError } from "../errors/driver-error";

/** The value of a result that must be a success (the test fails naming the error otherwise). */
export function okValue<T>(result: Result<T, DriverError>): T {
  if (result.isErr()) return expect.fail(`expected success, got ${formatDriverError(result.error)}`);
  return result.value;
}

/** The error of a result that must be a failure (the test fails showing the value otherwise). */
export function errValue<T>(
  result: Result<T, DriverError>,
  show: (value: T) => string = (value) => JSON.stringify(value),
): DriverError {
  if (result.isOk()) return expect.fail(`expected an error, got ${show(result.value)}`);
  return result.error;
}
