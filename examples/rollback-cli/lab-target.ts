import type { Coordination, Target } from "@backflip/cli";
import { type DriverError, driverError } from "@backflip/core";
import { errAsync, okAsync, type ResultAsync } from "neverthrow";
import { closeLabDrivers, withPath3Drivers } from "../../lab/src/lab-data-drivers";
import { type LabDrivers, labDrivers } from "../../lab/src/lab-drivers";
import { missingPath3Backends } from "../../lab/src/lab-postgres-settings";
import { readRegistryState } from "../../lab/src/lab-registry";
import { LAB_ENV, labStateDir, labTopology } from "../../lab/src/lab-settings";

/**
 * The lab's drivers, with Path 3's database (psql in `veza-lab-postgres`), snapshots
 * (driver-zfs over SSH), host shell and Incus over SSH when the lab has its postgres
 * container; without them on a lab brought up without zfs, sshd and postgres (Path 3's
 * data commands then say which driver is missing).
 */
function withDataDrivers(d: LabDrivers): ResultAsync<LabDrivers, DriverError> {
  if (missingPath3Backends().length > 0) return okAsync<LabDrivers, DriverError>(d);
  return d.host
    .state(d.topology.database.container)
    .map(() => true)
    .orElse((e) => (e.reason === "not_found" ? okAsync(false) : errAsync(e)))
    .andThen((present): ResultAsync<LabDrivers, DriverError> => (present ? withPath3Drivers(d) : okAsync(d)));
}

/**
 * The lab target: the real lab of `lab/` (`pnpm lab up`) — Incus containers
 * `veza-lab-*`, HAProxy inside `veza-lab-haproxy`, the lab's registry, and PostgreSQL in
 * `veza-lab-postgres` on its ZFS dataset — with the drivers the lab itself builds from its
 * connection facts in `$BACKFLIP_BACKENDS_DIR/lab/`. Only env `lab`. The journal and
 * lock are the coordination store's.
 */
export function openLabTarget(env: string, stores: Coordination): ResultAsync<Target, DriverError> {
  if (env !== LAB_ENV)
    return errAsync(
      driverError({
        driver: "rollback-cli",
        op: "target",
        reason: "invalid_input",
        message: `the lab's environment is ${LAB_ENV}, not ${env}`,
        hint: `pass --env ${LAB_ENV} (or leave --env out) with --target lab`,
      }),
    );
  const topology = labTopology();
  const drivers = labDrivers(topology);
  if (drivers.isErr()) return errAsync(drivers.error);
  return withDataDrivers(drivers.value)
    .orElse((e) => drivers.value.host.close().andThen(() => errAsync(e)))
    .map((d) => ({
      kind: "lab" as const,
      description: `the lab (state ${labStateDir()}, registry ${readRegistryState()?.baseUrl ?? "?"})`,
      topology,
      drivers: d,
      journal: stores.journal,
      lock: stores.lock,
      coordination: stores,
      save: () => okAsync(undefined),
      close: async () => {
        await closeLabDrivers(d);
      },
    }));
}
