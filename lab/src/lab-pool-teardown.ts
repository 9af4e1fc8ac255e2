import { existsSync } from "node:fs";
import { type DriverError, datasetName, driverError, type FullTopology } from "@backflip/core";
import { ZfsSnapshotStore } from "@backflip/driver-zfs";
import { errAsync, okAsync, type ResultAsync } from "neverthrow";
import { labHostShell } from "./lab-host-shell";
import { LAB_POOL, labPoolFile } from "./lab-postgres-settings";
import { destroyLabPool, labPoolImported } from "./lab-zfs";

/**
 * `lab down`'s Path 3 part, once `veza-lab-postgres` is deleted: destroys the pool `rpool`
 * over SSH — its dataset and every snapshot with it — so that its backing file can be
 * removed with the state dir. Refuses (changing nothing) when the pool's file exists but
 * the SSH server was never brought up: removing the file under an imported pool would
 * break zfs-fuse.
 */
export function teardownLabPool(
  topology: FullTopology,
  log: (line: string) => void,
): ResultAsync<void, DriverError> {
  const shell = labHostShell();
  if (shell.isErr()) {
    if (!existsSync(labPoolFile())) return okAsync(log(`zfs: no pool ${LAB_POOL}`));
    return errAsync(
      driverError({
        driver: "lab",
        op: "down",
        reason: "unavailable",
        message: `the pool ${LAB_POOL} (${labPoolFile()}) can only be destroyed over SSH: ${shell.error.message}`,
        hint: "run `scripts/backends up sshd zfs`, then `pnpm lab down` again",
      }),
    );
  }
  const ssh = shell.value;
  const dataset = datasetName(topology.snapshots, topology.database.container);
  const done = labPoolImported(ssh).andThen((imported) => {
    if (!imported) return okAsync(log(`zfs: pool ${LAB_POOL} not imported`));
    const snapshots = ZfsSnapshotStore.create({ shell: ssh, topology }).asyncAndThen((store) =>
      store.list(dataset).orElse(() => okAsync([])),
    );
    return snapshots.andThen((list) =>
      destroyLabPool(ssh).map(() =>
        log(`zfs: pool ${LAB_POOL} destroyed with ${dataset} and its ${list.length} snapshot(s)`),
      ),
    );
  });
  return done.andThen(() => ssh.close()).orElse((e) => ssh.close().andThen(() => errAsync(e)));
}
