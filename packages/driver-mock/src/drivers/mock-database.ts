import type {
  Action,
  ApplySqlOptions,
  Database,
  DatabaseOperation,
  DriverError,
  MigrationState,
} from "@backflip/core";
import { lazySchema, parseInput } from "@backflip/core/driver-kit";
import { incusLocation } from "@backflip/driver-incus";
import { err, ok, type Result, type ResultAsync } from "neverthrow";
import * as z from "zod";
import { applyScript } from "../world/sql-engine";
import type { ContainerState, WorldState } from "../world/world-state";
import { type FleetRuntime, opError, operation } from "./operation";

const DRIVER = "mock-database";

const optionsSchema = lazySchema(() =>
  z
    .object({
      statementTimeoutMs: z.number().int().positive().optional(),
      lockTimeoutMs: z.number().int().positive().optional(),
      signal: z.instanceof(AbortSignal).optional(),
    })
    .optional(),
);

/**
 * The simulated Postgres: the postgres container's tables as in-memory rows. `applySql`
 * runs a script of the subset described by `SQL_SUBSET` in one transaction — a statement
 * containing `FAIL`, one outside the subset, or an injected fault fails the whole script
 * and changes nothing. `migrationState` reads the `schema_migrations` table.
 */
export class MockDatabase implements Database {
  readonly name = DRIVER;

  constructor(
    readonly world: WorldState,
    readonly runtime: FleetRuntime,
  ) {}

  /** The psql command a call stands for, inside the simulated postgres container (a script named by its digest). */
  describe(operation: DatabaseOperation): readonly Action[] {
    const where = incusLocation("default", this.world.layout.databaseContainer);
    const db = this.world.topology.database;
    const psql = ["psql", "-X", "-v", "ON_ERROR_STOP=1", ...(db ? ["-U", db.user, "-d", db.name] : [])];
    if (operation.op === "migrationState")
      return [
        {
          kind: "exec",
          where,
          argv: [...psql, "-A", "-t", "-c", "SELECT version, dirty FROM schema_migrations LIMIT 1"],
        },
      ];
    return [
      { kind: "exec", where, argv: [...psql, "--single-transaction", "-f", "-"] },
      {
        kind: "note",
        text: `psql reads the SQL script (${operation.lines} lines, sha256 ${operation.sha256}…) on stdin`,
      },
    ];
  }

  #postgres(op: "database.applySql" | "database.migrationState"): Result<ContainerState, DriverError> {
    const name = this.world.layout.databaseContainer;
    const pg = this.world.containers.get(name);
    if (!pg || pg.image.db === null)
      return err(opError(op, "unavailable", `the database container ${name} does not exist`));
    if (pg.status !== "Running")
      return err(
        opError(op, "unavailable", `could not connect: ${name} is ${pg.status}`, {
          hint: `incus start ${name}`,
        }),
      );
    return ok(pg);
  }

  applySql(sql: string, options?: ApplySqlOptions): ResultAsync<void, DriverError> {
    return operation(
      this.runtime,
      { op: "database.applySql", ...(options?.signal ? { signal: options.signal } : {}) },
      () =>
        parseInput(z.string().trim().min(1, "the script is empty"), sql, {
          driver: DRIVER,
          op: "applySql",
        }).andThen((s) =>
          parseInput(optionsSchema, options, { driver: DRIVER, op: "applySql" }).map(() => s),
        ),
      () =>
        this.#postgres("database.applySql").andThen((pg) => {
          const applied = applyScript(pg.image.db ?? new Map(), sql);
          if (applied.isErr()) {
            return err(
              opError(
                "database.applySql",
                "failed",
                `${applied.error.message}; the transaction was rolled back`,
                {
                  details: { statement: applied.error.statement },
                },
              ),
            );
          }
          pg.image.db = applied.value;
          return ok(undefined);
        }),
    );
  }

  migrationState(): ResultAsync<MigrationState, DriverError> {
    return operation(
      this.runtime,
      { op: "database.migrationState" },
      () => ok(undefined),
      () =>
        this.#postgres("database.migrationState").map((pg) => {
          const table = pg.image.db?.get("schema_migrations");
          if (!table) return { managed: false, version: null, dirty: false };
          const row = table.rows[0];
          if (!row) return { managed: true, version: null, dirty: false };
          const version = typeof row.version === "number" ? row.version : Number(row.version);
          return {
            managed: true,
            version: Number.isFinite(version) ? version : null,
            dirty: row.dirty === true,
          };
        }),
    );
  }
}
