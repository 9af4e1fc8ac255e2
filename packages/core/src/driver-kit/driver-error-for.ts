import { type DriverError, type DriverErrorReason, driverError } from "../errors/driver-error";

/** What a {@link DriverErrorBuilder} may add to an error besides its op, reason and message. */
export interface DriverErrorExtra {
  readonly hint?: string;
  readonly details?: Record<string, unknown>;
  readonly cause?: unknown;
}

/** Builds a {@link DriverError} of one driver. */
export type DriverErrorBuilder = (
  op: string,
  reason: DriverErrorReason,
  message: string,
  extra?: DriverErrorExtra,
) => DriverError;

/** The error builder of the driver named `driver`: every error it builds carries that name. */
export function driverErrorFor(driver: string): DriverErrorBuilder {
  return (op, reason, message, extra = {}) => driverError({ driver, op, reason, message, ...extra });
}
