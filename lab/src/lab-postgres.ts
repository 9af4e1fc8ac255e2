import { type DriverError, datasetName } from "@backflip/core";
import type { IncusHost } from "@backflip/driver-incus";
import { errAsync, okAsync, type ResultAsync } from "neverthrow";
import { hostIdsOf } from "./container-id-map";
import type { IncusDevice, IncusInstances } from "./incus-instances";
import { type LabDataDrivers, labDataDrivers } from "./lab-data-drivers";
import { convergeLabDatabase, type DatabaseConverged } from "./lab-database-state";
import type { LabDrivers } from "./lab-drivers";
import { LAB_POSTGRES, labPgBin, missingPath3Backends } from "./lab-postgres-settings";
import { labPsql, waitPostgresReady } from "./lab-postgres-shell";
import { ensureLabDataset, ensureLabPool, ownDataset } from "./lab-zfs";
import {
  AS_POSTGRES,
  POSTGRES_GROUP,
  POSTGRES_INITTAB,
  POSTGRES_PASSWD,
  postgresRunScript,
} from "./postgres-server-script";
import { inContainer, provisionContainer } from "./provision-container";

/**
 * The devices of `veza-lab-postgres`: the host's `/usr` read-only (PostgreSQL's binaries),
 * the ZFS dataset's mountpoint as its data volume, and PostgreSQL's 127.0.0.1:5432 on the
 * host's 127.0.0.1:18640.
 */
export function postgresDevices(mountpoint: string): Record<string, IncusDevice> {
  return {
    usr: { type: "disk", source: "/usr", path: "/usr", readonly: "true" },
    pgdata: { type: "disk", source: mountpoint, path: LAB_POSTGRES.mountPath },
    postgres: {
      type: "proxy",
      listen: `tcp:127.0.0.1:${LAB_POSTGRES.port}`,
      connect: `tcp:127.0.0.1:${LAB_POSTGRES.innerPort}`,
    },
  };
}

/**
 * Stops `veza-lab-postgres` when its data volume is a dead FUSE mount (zfs-fuse was
 * restarted after the container started: the container keeps the old, dead bind mount),
 * so that starting it again binds the dataset's live mountpoint. A stopped container is
 * left as it is.
 */
function dropStaleDataMount(host: IncusHost, container: string): ResultAsync<boolean, DriverError> {
  return host.state(container).andThen((info) =>
    !info.running
      ? okAsync(false)
      : host
          .shell(container)
          .run([...AS_POSTGRES, "/bin/ls", LAB_POSTGRES.mountPath])
          .andThen((r) =>
            /Transport endpoint is not connected/i.test(r.stderr)
              ? host.stop(container, { force: true }).map(() => true)
              : okAsync(false),
          ),
  );
}

/** `initdb` as the container's postgres user when the data directory has none (superuser = the topology's user). */
function initdbIfMissing(host: IncusHost, d: LabDataDrivers): ResultAsync<boolean, DriverError> {
  const container = d.topology.database.container;
  const shell = host.shell(container);
  return shell
    .run([...AS_POSTGRES, "/bin/test", "-f", `${LAB_POSTGRES.dataDir}/PG_VERSION`])
    .andThen((r) =>
      r.exitCode === 0
        ? okAsync(false)
        : inContainer(host, container, [
            ...AS_POSTGRES,
            `${labPgBin()}/initdb`,
            "-D",
            LAB_POSTGRES.dataDir,
            "-A",
            "trust",
            "-U",
            d.topology.database.user,
            "--no-locale",
            "-E",
            "UTF8",
          ]).map(() => true),
    );
}

/** Creates the topology's database when the cluster has none. */
function ensureDatabase(host: IncusHost, d: LabDataDrivers): ResultAsync<boolean, DriverError> {
  const name = d.topology.database.name;
  return labPsql(host, d.topology, `SELECT 1 FROM pg_database WHERE datname = '${name}'`, "postgres").andThen(
    (found) =>
      found === "1"
        ? okAsync(false)
        : labPsql(host, d.topology, `CREATE DATABASE ${name}`, "postgres").map(() => true),
  );
}

/** What converging the database changed, for `lab up`'s log line (empty when nothing). */
function convergedNote(c: DatabaseConverged): string {
  const what = [
    c.restored ? `restored @${c.restored}` : "",
    c.taken.length ? `took ${c.taken.length} pre-deploy snapshot(s)` : "",
    c.migrated.length ? `applied migration(s) ${c.migrated.join(", ")}` : "",
  ].filter(Boolean);
  return what.length ? `, ${what.join(", ")}` : "";
}

/**
 * `lab up`'s Path 3 part: the pool `rpool` (created, or imported again) and the dataset
 * `rpool/incus/containers/veza-lab-postgres` over SSH; `veza-lab-postgres` with the dataset
 * attached, owned by the container's postgres user through its id map; PostgreSQL
 * initialised and running; the lab's migrations and its `pre-deploy-<sha>` snapshots
 * (taken when missing). Idempotent. Skipped, saying why, when zfs, sshd or postgres
 * were never brought up.
 */
export function provisionLabPostgres(
  d: LabDrivers,
  instances: IncusInstances,
  image: string,
  log: (line: string) => void,
): ResultAsync<void, DriverError> {
  const missing = missingPath3Backends();
  const container = d.topology.database.container;
  if (missing.length > 0) {
    log(`${container}: skipped (run \`scripts/backends up ${missing.join(" ")}\` for Path 3)`);
    return okAsync(undefined);
  }
  const built = labDataDrivers(d.host, d.topology);
  if (built.isErr()) return errAsync(built.error);
  const data = built.value;
  const ssh = data.hostShell;
  const dataset = datasetName(d.topology.snapshots, container);
  const done = ensureLabPool(ssh)
    .andThen((pool) => {
      log(`zfs: pool rpool ${pool} (over ${ssh.name})`);
      return ensureLabDataset(ssh, dataset);
    })
    .andThen(({ mountpoint, created }) => {
      log(`zfs: ${dataset} ${created ? "created" : "present"}, mounted at ${mountpoint}`);
      return instances
        .ensure({ name: container, devices: postgresDevices(mountpoint) }, image)
        .andThen((outcome) =>
          hostIdsOf(instances, container, LAB_POSTGRES)
            .andThen((ids) => ownDataset(ssh, mountpoint, ids.uid, ids.gid))
            .map(() => outcome),
        );
    })
    .andThen((outcome) =>
      dropStaleDataMount(d.host, container).map((restarted) =>
        restarted ? `${outcome}, restarted (its data mount had gone stale)` : outcome,
      ),
    )
    .andThen((outcome) =>
      provisionContainer(
        d.host,
        container,
        ["/opt/veza", "/var/log"],
        [
          { path: "/etc/passwd", content: POSTGRES_PASSWD },
          { path: "/etc/group", content: POSTGRES_GROUP },
          { path: LAB_POSTGRES.runScript, content: postgresRunScript(), mode: 0o755 },
          { path: "/etc/inittab", content: POSTGRES_INITTAB },
        ],
      )
        .andThen(() => initdbIfMissing(d.host, data))
        .andThen(() => waitPostgresReady(d.host, d.topology))
        .andThen(() => ensureDatabase(d.host, data))
        .andThen(() => convergeLabDatabase({ ...data, host: d.host }))
        .map((c) =>
          log(`${container}: ${outcome}, PostgreSQL on 127.0.0.1:${LAB_POSTGRES.port}${convergedNote(c)}`),
        ),
    );
  return done.andThen(() => ssh.close()).orElse((e) => ssh.close().andThen(() => errAsync(e)));
}
