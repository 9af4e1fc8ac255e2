import type { DriverError } from "@backflip/core";
import { errAsync, okAsync, type ResultAsync } from "neverthrow";
import { labDataDrivers } from "./lab-data-drivers";
import { convergeLabDatabase } from "./lab-database-state";
import type { LabDrivers } from "./lab-drivers";
import { missingPath3Backends } from "./lab-postgres-settings";
import { waitPostgresReady } from "./lab-postgres-shell";

/**
 * `resetLab`'s database part: `veza-lab-postgres` RUNNING with PostgreSQL ready, every
 * lab `pre-deploy-<sha>` snapshot present, and the data exactly as `lab up` leaves it
 * (rows written by a test rolled back to the newest lab snapshot, then the migrations
 * applied forward). Nothing to do on a lab without `veza-lab-postgres` (its backends
 * were not brought up). Opens its own SSH connection and closes it.
 */
export function resetLabDatabase(d: LabDrivers): ResultAsync<void, DriverError> {
  if (missingPath3Backends().length > 0) return okAsync(undefined);
  const container = d.topology.database.container;
  return d.host
    .state(container)
    .map(() => true)
    .orElse((e) => (e.reason === "not_found" ? okAsync(false) : errAsync(e)))
    .andThen((present) => {
      if (!present) return okAsync(undefined);
      const built = labDataDrivers(d.host, d.topology);
      if (built.isErr()) return errAsync(built.error);
      const data = built.value;
      return d.host
        .start(container, { timeoutS: 60 })
        .andThen(() => waitPostgresReady(d.host, d.topology))
        .andThen(() => convergeLabDatabase({ ...data, host: d.host }))
        .andThen(() => data.hostShell.close())
        .orElse((e) => data.hostShell.close().andThen(() => errAsync(e)));
    });
}
