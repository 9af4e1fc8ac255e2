import { join } from "node:path";
import { type DriverError, driverError, type FullTopology } from "@backflip/core";
import type { IncusHost } from "@backflip/driver-incus";
import { createIncusHost, incusSocketPath } from "@backflip/driver-incus";
import type { PostgresDatabase } from "@backflip/driver-postgres";
import { SshShell, type UnixSocketForward } from "@backflip/driver-ssh";
import { ZfsSnapshotStore } from "@backflip/driver-zfs";
import { err, errAsync, okAsync, type Result, ResultAsync } from "neverthrow";
import { type LabDrivers, labDrivers } from "./lab-drivers";
import { labHostShell } from "./lab-host-shell";
import { missingPath3Backends } from "./lab-postgres-settings";
import { labDatabase } from "./lab-postgres-shell";
import { labStateDir, labTopology } from "./lab-settings";

/**
 * The drivers Path 3's data recipes need on the lab: the database (psql inside
 * `veza-lab-postgres` through `incus exec`), the dataset's snapshots (driver-zfs running
 * `zfs` over SSH on the host) and that SSH shell itself (the container host's shell).
 */
export interface LabDataDrivers {
  readonly database: PostgresDatabase;
  readonly snapshots: ZfsSnapshotStore;
  readonly hostShell: SshShell;
  readonly topology: FullTopology;
}

/**
 * Every driver the lab offers, Path 3's included, with `host` the host's Incus API over
 * SSH (its unix socket forwarded to this process, like `ssh -L`), as the runbook's
 * operator runs `incus` on the host; `localHost` is the local client the traffic switch
 * was built on.
 */
export type LabPath3Drivers = LabDrivers &
  LabDataDrivers & { readonly localHost: IncusHost; readonly incusForward: UnixSocketForward };

/**
 * Builds the {@link LabDataDrivers} next to an Incus host; nothing connects yet.
 * `unavailable` naming the backends to bring up when zfs, sshd or postgres never were.
 */
export function labDataDrivers(host: IncusHost, topology: FullTopology): Result<LabDataDrivers, DriverError> {
  const missing = missingPath3Backends();
  if (missing.length > 0)
    return err(
      driverError({
        driver: "lab",
        op: "drivers",
        reason: "unavailable",
        message: `the lab's Path 3 drivers need the ${missing.join(", ")} backend(s)`,
        hint: `run \`scripts/backends up ${missing.join(" ")}\`, then \`pnpm lab up\``,
      }),
    );
  return labHostShell().andThen((hostShell) =>
    ZfsSnapshotStore.create({ shell: hostShell, topology }).andThen((snapshots) =>
      labDatabase(host, topology).map((database) => ({ database, snapshots, hostShell, topology })),
    ),
  );
}

/**
 * {@link labDrivers} plus the database, snapshot store and host shell of Path 3, with
 * Incus reached over SSH (see {@link LabPath3Drivers}). Kept apart from `labDrivers` on
 * purpose: with a database, Path 2's plans gain a migration-caveat step (and read the
 * schema when planned), which would change the journals of the lab's Path 1/2 tests.
 * Close with {@link closeLabDrivers}.
 */
export function labPath3Drivers(
  topology: FullTopology = labTopology(),
): ResultAsync<LabPath3Drivers, DriverError> {
  const d = labDrivers(topology);
  return d.isErr() ? errAsync(d.error) : withPath3Drivers(d.value);
}

/**
 * Adds Path 3's drivers to `d`: the host shell over SSH, `zfs` over it, the host's Incus
 * API forwarded over it (a per-process socket in the lab state dir) as `host`, and psql
 * in `veza-lab-postgres` through that host. On failure `d` is left open for its owner.
 */
export function withPath3Drivers(d: LabDrivers): ResultAsync<LabPath3Drivers, DriverError> {
  const data = labDataDrivers(d.host, d.topology);
  if (data.isErr()) return errAsync(data.error);
  const { hostShell } = data.value;
  const local = join(labStateDir(), `incus-over-ssh-${process.pid}.sock`);
  return hostShell.forwardUnixSocket(incusSocketPath(), local).andThen((incusForward) => {
    const built = createIncusHost({ socketPath: incusForward.path }).andThen((host) =>
      labDatabase(host, d.topology).map(
        (database): LabPath3Drivers => ({
          ...d,
          ...data.value,
          database,
          host,
          localHost: d.host,
          incusForward,
        }),
      ),
    );
    if (built.isOk()) return okAsync(built.value);
    return ResultAsync.fromSafePromise(incusForward.close().then(() => hostShell.close())).andThen(() =>
      errAsync(built.error),
    );
  });
}

/** Closes the Incus clients, the forward and, when there is one, the SSH connection (a later command re-opens it). */
export async function closeLabDrivers(d: LabDrivers): Promise<void> {
  const p3 = d as Partial<LabPath3Drivers>;
  await d.host.close();
  if (p3.incusForward) await p3.incusForward.close();
  if (p3.localHost) await p3.localHost.close();
  if (d.hostShell instanceof SshShell) await d.hostShell.close();
}
