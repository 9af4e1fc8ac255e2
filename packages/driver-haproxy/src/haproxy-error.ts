import { driverErrorFor } from "@backflip/core/driver-kit";

/** The driver name every error of this package carries. */
export const DRIVER = "haproxy";

/** Builds a {@link DriverError} of this driver. */
export const haproxyError = driverErrorFor(DRIVER);
