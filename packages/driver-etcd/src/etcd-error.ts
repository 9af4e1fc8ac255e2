import { driverErrorFor } from "@backflip/core/driver-kit";

/** The driver name every etcd error carries. */
export const DRIVER = "etcd";

/** Builds this driver's {@link DriverError}s. */
export const etcdError = driverErrorFor(DRIVER);
