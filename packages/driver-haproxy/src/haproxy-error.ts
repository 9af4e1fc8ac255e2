import { type DriverError, type DriverErrorReason, driverError } from "@backflip/core";

/** The driver name every error of this package carries. */
export const DRIVER = "haproxy";

/** Builds a {@link DriverError} of this driver. */
export function haproxyError(
  op: string,
  reason: DriverErrorReason,
  message: string,
  extra: { hint?: string; details?: Record<string, unknown>; cause?: unknown } = {},
): DriverError {
  return driverError({ driver: DRIVER, op, reason, message, ...extra });
}
