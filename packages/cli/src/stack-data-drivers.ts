import { dirname, resolve } from "node:path";
import { type DriverError, driverError, type Topology } from "@backflip/core";
import type { Drivers } from "@backflip/core/recipes";
import type { IncusHost } from "@backflip/driver-incus";
import { createPsqlDatabase, type PostgresDatabase } from "@backflip/driver-postgres";
import { SshShell } from "@backflip/driver-ssh";
import { ZfsSnapshotStore } from "@backflip/driver-zfs";
import { err, ok, type Result } from "neverthrow";
import type { StackConfig } from "./config";
import { fromEnv, inConfig } from "./stack-config-errors";

/** The drivers of Path 2's migration caveat and Path 3 a stack config may add; close `hostShell` when done. */
export type StackDataDrivers = Pick<Drivers, "database" | "snapshots"> & { readonly hostShell?: SshShell };

/** The config's `hostShell`: SSH to the container host, its key and known_hosts files from the config's folder. */
function hostShellOf(file: string, stack: StackConfig): Result<SshShell | undefined, DriverError> {
  const ssh = stack.hostShell;
  if (!ssh) return ok(undefined);
  const passphrase: Result<string | undefined, DriverError> = ssh.passphraseEnv
    ? fromEnv(file, "hostShell.passphraseEnv", ssh.passphraseEnv, "the passphrase of the key")
    : ok(undefined);
  return passphrase.andThen((secret) =>
    SshShell.create({
      host: ssh.host,
      ...(ssh.port === undefined ? {} : { port: ssh.port }),
      username: ssh.user,
      privateKeyPath: resolve(dirname(file), ssh.privateKeyPath),
      ...(secret === undefined ? {} : { passphrase: secret }),
      hostKey: { knownHostsFile: resolve(dirname(file), ssh.knownHostsFile) },
      name: `ssh:${ssh.user}@${ssh.host}`,
    }).mapErr((e) => inConfig(file, "hostShell", e)),
  );
}

/**
 * The database (psql inside its container through Incus), the snapshots (`zfs` over the
 * host's SSH shell) and that shell, as the config's `database`, `snapshots` and
 * `hostShell` describe them; nothing connects yet. A driver's refusal names the file and key.
 */
export function stackDataDrivers(
  file: string,
  stack: StackConfig,
  host: IncusHost,
  topology: Topology,
): Result<StackDataDrivers, DriverError> {
  return hostShellOf(file, stack).andThen((hostShell) => {
    const db = stack.database;
    const container = db?.container ?? topology.database?.container;
    const database: Result<PostgresDatabase | undefined, DriverError> = !db
      ? ok(undefined)
      : !container
        ? err(
            driverError({
              driver: "cli",
              op: "config",
              reason: "invalid_input",
              message: `${file}: target.database.container: the topology has no database section to take it from`,
              hint: `name the database's container in target.database.container in ${file}`,
            }),
          )
        : createPsqlDatabase({
            shell: host.shell(container),
            topology,
            ...(db.host === undefined ? {} : { host: db.host }),
            ...(db.port === undefined ? {} : { port: db.port }),
            ...(db.psqlCommand === undefined ? {} : { psqlCommand: db.psqlCommand }),
            ...(db.timeoutMs === undefined ? {} : { timeoutMs: db.timeoutMs }),
          }).mapErr((e) => inConfig(file, "database", e));
    const zfs = stack.snapshots;
    const snapshots =
      zfs && hostShell
        ? ZfsSnapshotStore.create({
            shell: hostShell,
            topology,
            ...(zfs.zfsCommand === undefined ? {} : { zfsCommand: zfs.zfsCommand }),
            ...(zfs.timeoutMs === undefined ? {} : { timeoutMs: zfs.timeoutMs }),
          }).mapErr((e) => inConfig(file, "snapshots", e))
        : ok(undefined);
    return database.andThen((d) =>
      snapshots.map(
        (s): StackDataDrivers => ({
          ...(d ? { database: d } : {}),
          ...(s ? { snapshots: s } : {}),
          ...(hostShell ? { hostShell } : {}),
        }),
      ),
    );
  });
}
