import { type DriverError, driverError, type FullTopology } from "@backflip/core";
import { runChecked } from "@backflip/core/driver-kit";
import type { IncusHost } from "@backflip/driver-incus";
import { createPsqlDatabase, type PostgresDatabase } from "@backflip/driver-postgres";
import { errAsync, okAsync, type Result, ResultAsync } from "neverthrow";
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
  const deadline = Date.now() + timeoutMs;
  const argv = [`${labPgBin()}/pg_isready`, "-q", "-h", LAB_POSTGRES.socketDir, "-U", user, "-d", "postgres"];
  const poll = (): ResultAsync<void, DriverError> =>
    host
      .shell(container)
      .run(argv, { timeoutMs: 10_000 })
      .map((r) => r.exitCode)
      // A container still booting may refuse the exec itself: keep polling until the deadline.
      .orElse(() => okAsync<number | null, DriverError>(null))
      .andThen((exitCode) => {
        if (exitCode === 0) return okAsync(undefined);
        if (Date.now() > deadline)
          return errAsync(
            driverError({
              driver: "lab",
              op: "postgres",
              reason: "timeout",
              message: `PostgreSQL in ${container} is not accepting connections after ${timeoutMs / 1000} s (pg_isready exit ${exitCode ?? "-"})`,
              hint: HINT,
            }),
          );
        return ResultAsync.fromSafePromise(new Promise((resolve) => setTimeout(resolve, 250))).andThen(poll);
      });
  return poll();
}
