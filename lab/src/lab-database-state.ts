import { type Database, type DriverError, datasetName, driverError } from "@backflip/core";
import type { IncusHost } from "@backflip/driver-incus";
import { errAsync, okAsync, type ResultAsync } from "neverthrow";
import { inOrder } from "./in-order";
import type { LabDataDrivers } from "./lab-data-drivers";
import {
  LAB_MIGRATIONS,
  LAB_SCHEMA_VERSION,
  labContentCheck,
  migrationScript,
  PRE_DEPLOY_VERSIONS,
} from "./lab-migrations";
import { labPsql, waitPostgresReady } from "./lab-postgres-shell";
import { LAB_RELEASES } from "./lab-releases";

const HINT = "start afresh with `pnpm lab down && pnpm lab up`";

/** What {@link convergeLabDatabase} did. */
export interface DatabaseConverged {
  /** The snapshot the dataset was rolled back to, when its data was not the lab's. */
  readonly restored: string | null;
  /** The `pre-deploy-<sha>` snapshots it took (missing ones). */
  readonly taken: string[];
  /** The migrations it applied. */
  readonly migrated: number[];
}

/** The schema version and whether the lab's tables hold exactly the migrations' data at that version. */
function readClean(
  d: LabDataDrivers & { host: IncusHost },
): ResultAsync<{ version: number; clean: boolean }, DriverError> {
  return d.database.migrationState().andThen((state) => {
    const version = state.managed ? (state.version ?? -1) : 0;
    if (state.dirty || version < 0 || version > LAB_SCHEMA_VERSION) return okAsync({ version, clean: false });
    const check = labContentCheck(version);
    return labPsql(d.host, d.topology, check.sql)
      .map((out) => ({ version, clean: out === check.expected }))
      .orElse(() => okAsync({ version, clean: false }));
  });
}

/** Applies the lab's migrations after the current version up to `target`, each in one transaction. */
function migrateLabDatabase(database: Database, target: number): ResultAsync<number[], DriverError> {
  return database.migrationState().andThen((state) => {
    const from = state.managed ? (state.version ?? 0) : 0;
    const todo = LAB_MIGRATIONS.filter((m) => m.version > from && m.version <= target);
    return inOrder(todo, (m) => database.applySql(migrationScript(m)).map(() => m.version));
  });
}

/** Stops the container, `zfs rollback -r` to `snapshot` (data loss accepted: it is the lab's reset), starts it. */
function restoreTo(
  d: LabDataDrivers & { host: IncusHost },
  dataset: string,
  snapshot: string,
): ResultAsync<void, DriverError> {
  const container = d.topology.database.container;
  return d.host
    .stop(container, { timeoutS: 60 })
    .andThen(() => d.snapshots.rollback(dataset, snapshot, { acknowledgeDataLoss: true }))
    .andThen(() => d.host.start(container, { timeoutS: 60 }))
    .andThen(() => waitPostgresReady(d.host, d.topology));
}

/**
 * Brings the lab's database to its canonical state, through the lab's drivers: the
 * `pre-deploy-<sha>` snapshot of every lab release (old, prior, current — each holding
 * the schema just before that release's migration) and the data at the newest schema
 * version. Data that is not exactly the migrations' (rows a test wrote, a dirty state) is
 * first rolled back to the newest lab snapshot; missing snapshots are taken at their own
 * version while migrating forward. PostgreSQL must be running.
 */
export function convergeLabDatabase(
  d: LabDataDrivers & { host: IncusHost },
): ResultAsync<DatabaseConverged, DriverError> {
  const t = d.topology;
  const dataset = datasetName(t.snapshots, t.database.container);
  const name = (release: keyof typeof LAB_RELEASES) => `${t.snapshots.prefix}${LAB_RELEASES[release]}`;
  const existing = () => d.snapshots.list(dataset).map((list) => new Set(list.map((s) => s.name)));
  const restoreIfDirty = readClean(d).andThen((state) => {
    if (state.clean) return okAsync<string | null, DriverError>(null);
    return existing().andThen((have) => {
      const newest = PRE_DEPLOY_VERSIONS.filter((p) => have.has(name(p.release))).at(-1);
      if (!newest)
        return errAsync(
          labDbError(
            `${dataset} holds data that is not the lab's (schema version ${state.version}) and has no lab snapshot to roll back to`,
          ),
        );
      const snapshot = name(newest.release);
      return restoreTo(d, dataset, snapshot)
        .andThen(() => readClean(d))
        .andThen((after) =>
          after.clean
            ? okAsync(snapshot)
            : errAsync(labDbError(`${dataset}@${snapshot} does not hold the lab's data either`)),
        );
    });
  });
  return restoreIfDirty.andThen((restored) =>
    existing().andThen((have) =>
      inOrder(PRE_DEPLOY_VERSIONS, (p) => {
        const snapshot = name(p.release);
        if (have.has(snapshot)) return okAsync<string | null, DriverError>(null);
        return readClean(d).andThen((state) =>
          state.version > p.version
            ? errAsync(
                labDbError(
                  `${dataset}@${snapshot} is missing and the schema (version ${state.version}) is already past ${p.version}`,
                ),
              )
            : migrateLabDatabase(d.database, p.version)
                .andThen(() => labPsql(d.host, t, "CHECKPOINT"))
                .andThen(() => d.snapshots.create(dataset, snapshot))
                .map(() => snapshot),
        );
      }).andThen((taken) =>
        migrateLabDatabase(d.database, LAB_SCHEMA_VERSION).map(
          (migrated): DatabaseConverged => ({
            restored,
            taken: taken.filter((s): s is string => s !== null),
            migrated,
          }),
        ),
      ),
    ),
  );
}

function labDbError(message: string): DriverError {
  return driverError({ driver: "lab", op: "database", reason: "conflict", message, hint: HINT });
}
