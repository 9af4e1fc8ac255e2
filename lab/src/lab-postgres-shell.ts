import { type DriverError, driverError, type FullTopology } from "@backflip/core";
import { poll, runChecked } from "@backflip/core/driver-kit";
import type { IncusHost } from "@backflip/driver-incus";
import { createPsqlDatabase, type PostgresDatabase } from "@backflip/driver-postgres";
import { okAsync, type Result, type ResultAsync } from "neverthrow";
import { LAB_POSTGRES, labPgBin } from "./lab-postgres-settings";

const HINT = "look at `pnpm lab status` and the log /var/log/postgresql.log inside veza-lab-postgres";

/**
 * The lab's {@link PostgresDatabase}: psql inside `veza-lab-postgres` through the
 * driver-incus Shell — the runbook's `incus exec veza-lab-postgres -- psql -U veza veza`
 * — on the container's socket, as the topology's user (`veza`, the cluster's superuser).
 */
export function labDatabase(host: IncusHost, topology: FullTopology): Result<PostgresDatabase, DriverError> {
  return createPsqlDatabase({
    shell: host.shell(topology.database.container),
    topology,
    host: LAB_POSTGRES.socketDir,
    psqlCommand: [`${labPgBin()}/psql`],
  });
}

/** Runs one SQL command with psql inside the container (`-At`): its output, trimmed; an SQL error is `failed`. */
export function labPsql(
  host: IncusHost,
  topology: FullTopology,
  sql: string,
  database: string = topology.database.name,
): ResultAsync<string, DriverError> {
  const { container, user } = topology.database;
  return runChecked(
    host.shell(container),
    [
      `${labPgBin()}/psql`,
      "-X",
      "-At",
      "-v",
      "ON_ERROR_STOP=1",
      "-h",
      LAB_POSTGRES.socketDir,
      "-U",
      user,
      "-d",
      database,
      "-c",
      sql,
    ],
    { driver: "lab", op: "psql", label: `psql ${sql.slice(0, 60)}`, hint: HINT, timeoutMs: 60_000 },
  ).map((r) => r.stdout.trim());
}

/** Waits until PostgreSQL accepts connections in the container (`pg_isready`, up to `timeoutMs`). */
export function waitPostgresReady(
  host: IncusHost,
  topology: FullTopology,
  timeoutMs = 60_000,
): ResultAsync<void, DriverError> {
  const { container, user } = topology.database;
  const argv = [`${labPgBin()}/pg_isready`, "-q", "-h", LAB_POSTGRES.socketDir, "-U", user, "-d", "postgres"];
  return poll({
    read: () =>
      host
        .shell(container)
        .run(argv, { timeoutMs: 10_000 })
        .map((r): number | null => r.exitCode)
        // A container still booting may refuse the exec itself: keep polling until the deadline.
        .orElse(() => okAsync<number | null, DriverError>(null)),
    done: (exitCode) => exitCode === 0,
    timeoutMs,
    backoff: () => 250,
  })
    .map(() => undefined)
    .mapErr((failure) => {
      const exitCode =
        failure.kind === "timeout" && failure.last && "value" in failure.last ? failure.last.value : null;
      return driverError({
        driver: "lab",
        op: "postgres",
        reason: "timeout",
        message: `PostgreSQL in ${container} is not accepting connections after ${timeoutMs / 1000} s (pg_isready exit ${exitCode ?? "-"})`,
        hint: HINT,
      });
    });
}
