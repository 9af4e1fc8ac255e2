import { type DriverError, driverError, type Topology } from "@backflip/core";
import type { IncusHost } from "@backflip/driver-incus";
import type { PostgresDatabase } from "@backflip/driver-postgres";
import { SshShell } from "@backflip/driver-ssh";
import { ZfsSnapshotStore } from "@backflip/driver-zfs";
import { err, type Result } from "neverthrow";
import { type LabDrivers, labDrivers } from "./lab-drivers";
import { labHostShell } from "./lab-host-shell";
import { missingPath3Backends } from "./lab-postgres-settings";
import { labDatabase } from "./lab-postgres-shell";
import { labTopology } from "./lab-settings";

/**
 * The drivers Path 3's data recipes need on the lab: the database (psql inside
 * `veza-lab-postgres` through `incus exec`), the dataset's snapshots (driver-zfs running
 * `zfs` over SSH on the host) and that SSH shell itself (the container host's shell).
 */
export interface LabDataDrivers {
  readonly database: PostgresDatabase;
  readonly snapshots: ZfsSnapshotStore;
  readonly hostShell: SshShell;
  readonly topology: Topology;
}

/** Every driver the lab offers, Path 3's included. */
export type LabPath3Drivers = LabDrivers & LabDataDrivers;

/**
 * Builds the {@link LabDataDrivers} next to an Incus host; nothing connects yet.
 * `unavailable` naming the backends to bring up when zfs, sshd or postgres never were.
 */
export function labDataDrivers(host: IncusHost, topology: Topology): Result<LabDataDrivers, DriverError> {
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
 * {@link labDrivers} plus the database, snapshot store and host shell of Path 3. Kept
 * apart from `labDrivers` on purpose: with a database, Path 2's plans gain a
 * migration-caveat step (and read the schema when planned), which would change the
 * journals of the lab's Path 1/2 tests. Close with {@link closeLabDrivers}.
 */
export function labPath3Drivers(topology: Topology = labTopology()): Result<LabPath3Drivers, DriverError> {
  return labDrivers(topology).andThen((d) =>
    labDataDrivers(d.host, topology).map((data): LabPath3Drivers => ({ ...d, ...data })),
  );
}

/** Closes the Incus client and, when there is one, the SSH connection (a later command re-opens it). */
export async function closeLabDrivers(d: LabDrivers): Promise<void> {
  if (d.hostShell instanceof SshShell) await d.hostShell.close();
  await d.host.close();
}
