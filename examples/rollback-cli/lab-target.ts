import { type DriverError, driverError } from "@backflip/core";
import { errAsync, okAsync, type ResultAsync } from "neverthrow";
import { labDrivers } from "../../lab/src/lab-drivers";
import { readRegistryState } from "../../lab/src/lab-registry";
import { LAB_ENV, labStateDir, labTopology } from "../../lab/src/lab-settings";
import { stateStores, type Target } from "./target";

/**
 * The lab target: the real lab of `lab/` (`pnpm lab up`) — Incus containers
 * `veza-lab-*`, HAProxy inside `veza-lab-haproxy`, the lab's registry — with the drivers
 * the lab itself builds from its connection facts in `$BACKFLIP_BACKENDS_DIR/lab/`.
 * Only env `lab`. The journal and lock live under the CLI's state directory.
 */
export function openLabTarget(env: string, stateDir: string): ResultAsync<Target, DriverError> {
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
  const d = drivers.value;
  const stores = stateStores(stateDir);
  return okAsync({
    kind: "lab" as const,
    description: `the lab (state ${labStateDir()}, registry ${readRegistryState()?.baseUrl ?? "?"})`,
    topology,
    drivers: d,
    journal: stores.journal,
    lock: stores.lock,
    save: () => okAsync(undefined),
    close: async () => {
      await d.host.close();
    },
  });
}
