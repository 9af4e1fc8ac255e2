import type {
  Action,
  ApplySqlOptions,
  Database,
  DatabaseOperation,
  DriverError,
  MigrationState,
  Shell,
  Topology,
} from "@backflip/core";
import { abortSignalSchema, lazySchema, parseInput, timerMsSchema } from "@backflip/core/driver-kit";
import { err, errAsync, ok, type Result, type ResultAsync } from "neverthrow";
import * as z from "zod";
import { type PgSslOption, pgSslSchema, resolvePgTls } from "./pg-tls";
import { PgTransport } from "./pg-transport";
import { DRIVER, pgError } from "./postgres-error";
import { databaseNameSchema, hostSchema, roleNameSchema } from "./postgres-names";
import { PsqlTransport } from "./psql-transport";
import type { SqlTransport } from "./sql-transport";
import { findTransactionControl } from "./transaction-control";

/** `statement_timeout` when the caller gives none: 5 minutes. */
const DEFAULT_STATEMENT_TIMEOUT_MS = 300_000;
/** `lock_timeout` when the caller gives none: 10 s, so a blocked script fails instead of stalling the app. */
const DEFAULT_LOCK_TIMEOUT_MS = 10_000;

const identifier = lazySchema(() =>
  z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, "expected a lower-case SQL identifier"),
);
/** golang-migrate's table, optionally schema-qualified: `schema_migrations` or `app.schema_migrations`. */
const migrationsTableSchema = lazySchema(() =>
  z
    .string()
    .refine(
      (t) => t.split(".").length <= 2 && t.split(".").every((part) => identifier.safeParse(part).success),
      {
        message: "expected `table` or `schema.table` of lower-case identifiers",
      },
    ),
);

const timerMs = timerMsSchema;
const applySqlSchema = lazySchema(() =>
  z.object({
    sql: z.string().refine((s) => s.trim() !== "", "the script is empty"),
    options: z
      .object({
        statementTimeoutMs: timerMs.optional(),
        lockTimeoutMs: timerMs.optional(),
        signal: abortSignalSchema.optional(),
      })
      .optional(),
  }),
);

/**
 * A {@link Database} over either transport: inverse SQL in one transaction that stops
 * at the first error (all or nothing, with statement and lock timeouts), and
 * golang-migrate's `schema_migrations` state.
 */
export class PostgresDatabase implements Database {
  /** Name in messages, e.g. `psql@incus:veza-staging-postgres`. */
  readonly name: string;
  readonly #transport: SqlTransport;
  readonly #table: string;

  /** Wraps a transport; use {@link createPgDatabase} or {@link createPsqlDatabase}. */
  constructor(transport: SqlTransport, migrationsTable = "schema_migrations") {
    this.#transport = transport;
    this.#table = migrationsTable;
    this.name = transport.name;
  }

  /**
   * Runs the whole script in one transaction, stopping at the first error: all or
   * nothing. A script that controls its own transaction (BEGIN/COMMIT/…) is refused
   * with `invalid_input` before anything runs.
   */
  applySql(sql: string, options: ApplySqlOptions = {}): ResultAsync<void, DriverError> {
    const checked = parseInput(applySqlSchema, { sql, options }, { driver: DRIVER, op: "applySql" });
    if (checked.isErr()) return errAsync(checked.error);
    const control = findTransactionControl(sql);
    if (control !== null) {
      return errAsync(
        pgError(
          "applySql",
          "invalid_input",
          `statement ${control.statement} of the script is ${control.keyword}: applySql runs the whole script in one transaction itself`,
          {
            hint: "remove BEGIN/COMMIT/ROLLBACK from the inverse SQL and apply it again",
            details: { statement: control.statement, keyword: control.keyword },
          },
        ),
      );
    }
    if (options.signal?.aborted) {
      return errAsync(
        pgError(
          "applySql",
          "aborted",
          `the script for ${this.name} was not started: the run was already aborted`,
        ),
      );
    }
    return this.#transport.applyScript(sql, {
      statementTimeoutMs: options.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS,
      lockTimeoutMs: options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS,
      ...(options.signal ? { signal: options.signal } : {}),
    });
  }

  /** golang-migrate's state: no table = not managed; no row = never migrated; else version and dirty. */
  migrationState(): ResultAsync<MigrationState, DriverError> {
    const table = this.#table;
    return this.#transport
      .queryRows(this.#tableExistsQuery())
      .andThen((rows) => {
        if (rows[0]?.[0] !== "t")
          return ok<MigrationState | null, DriverError>({ managed: false, version: null, dirty: false });
        return ok(null);
      })
      .andThen((known) =>
        known !== null
          ? ok(known)
          : this.#transport.queryRows(this.#stateQuery()).andThen((rows) => parseState(rows, table)),
      );
  }

  /** The dry run of a call: the psql commands (or SQL on a connection) it makes, where; a script is named by its digest. */
  describe(operation: DatabaseOperation): readonly Action[] {
    const t = this.#transport;
    if (operation.op === "migrationState")
      return [...t.describeQuery(this.#tableExistsQuery()), ...t.describeQuery(this.#stateQuery())];
    const run = {
      statementTimeoutMs: operation.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS,
      lockTimeoutMs: operation.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS,
    };
    const lines = `${operation.lines} line${operation.lines === 1 ? "" : "s"}`;
    return t.describeScript(run, `the SQL script (${lines}, sha256 ${operation.sha256}…)`);
  }

  #tableExistsQuery(): string {
    return `SELECT to_regclass('${this.#table}') IS NOT NULL`;
  }

  #stateQuery(): string {
    return `SELECT version, dirty FROM ${this.#table} LIMIT 1`;
  }
}

function parseState(rows: string[][], table: string): Result<MigrationState, DriverError> {
  const row = rows[0];
  if (row === undefined) return ok({ managed: true, version: null, dirty: false });
  const [version, dirty] = row;
  if (version === undefined || !/^-?\d+$/.test(version) || (dirty !== "t" && dirty !== "f")) {
    return err(
      pgError("migrationState", "failed", `${table} holds an unexpected row: ${JSON.stringify(row)}`, {
        hint: "golang-migrate keeps one row (version bigint, dirty boolean): inspect the table by hand",
      }),
    );
  }
  return ok({ managed: true, version: Number(version), dirty: dirty === "t" });
}

/** Options of {@link createPgDatabase}: the wire client. */
export interface PgDatabaseOptions {
  readonly host: string;
  /** Default 5432. */
  readonly port?: number;
  readonly user: string;
  /** Never appears in errors, events or logs. */
  readonly password?: string;
  readonly database: string;
  /**
   * TLS, always with the server's certificate verified. Default: on for every host that
   * is not loopback or a socket directory (verified against the system's CAs), off for
   * those. `true` forces it; `{ caFile, servername }` trusts the CA in that PEM file and/or
   * checks that name instead of `host`; `false` sends everything, the password included,
   * in clear. No option skips verification.
   */
  readonly ssl?: PgSslOption;
  /** Default 10000. */
  readonly connectTimeoutMs?: number;
  /** golang-migrate's table (default `schema_migrations`; `schema.table` allowed). */
  readonly migrationsTable?: string;
}

const pgOptionsSchema = lazySchema(() =>
  z.object({
    host: hostSchema,
    port: z.number().int().min(1).max(65_535).optional(),
    user: roleNameSchema,
    password: z.string().optional(),
    database: databaseNameSchema,
    ssl: pgSslSchema.optional(),
    connectTimeoutMs: timerMs.optional(),
    migrationsTable: migrationsTableSchema.optional(),
  }),
);

/**
 * A {@link Database} over the wire protocol (`pg`). Validates the options and reads the
 * CA file when one is given; nothing connects yet.
 */
export function createPgDatabase(options: PgDatabaseOptions): Result<PostgresDatabase, DriverError> {
  return parseInput(pgOptionsSchema, options, { driver: DRIVER, op: "options" }).andThen((o) =>
    resolvePgTls(o.host, o.ssl).map(
      (tls) =>
        new PostgresDatabase(
          new PgTransport({
            host: o.host,
            port: o.port ?? 5432,
            user: o.user,
            database: o.database,
            connectTimeoutMs: o.connectTimeoutMs ?? 10_000,
            tls,
            ...(o.password === undefined ? {} : { password: o.password }),
          }),
          o.migrationsTable,
        ),
    ),
  );
}

/** Options of {@link createPsqlDatabase}: psql over a Shell. */
export interface PsqlDatabaseOptions {
  /** Where psql runs: e.g. `host.shell("veza-staging-postgres")` for `incus exec … --`. */
  readonly shell: Shell;
  /** `-U` (default: the topology's database user, else psql's default). */
  readonly user?: string;
  /** The database (default: the topology's, else psql's default). */
  readonly database?: string;
  /** Takes user and database from `topology.database` (`user`, `name`). */
  readonly topology?: Topology;
  /** `-h`: host or socket directory. */
  readonly host?: string;
  /** `-p`. */
  readonly port?: number;
  /** The psql command as an argv prefix (default `["psql"]`). */
  readonly psqlCommand?: readonly string[];
  /** Limit for each psql process in milliseconds (default 600000); the server-side limits are applySql's. */
  readonly timeoutMs?: number;
  /** golang-migrate's table (default `schema_migrations`). */
  readonly migrationsTable?: string;
}

const psqlOptionsSchema = lazySchema(() =>
  z.object({
    shell: z.custom<Shell>((s) => typeof (s as Shell | null)?.run === "function", "expected a Shell"),
    user: roleNameSchema.optional(),
    database: databaseNameSchema.optional(),
    topology: z
      .object({
        database: z.object({ user: z.string(), name: z.string() }).optional(),
      })
      .passthrough()
      .optional(),
    host: hostSchema.optional(),
    port: z.number().int().min(1).max(65_535).optional(),
    psqlCommand: z.array(z.string().min(1)).min(1).optional(),
    timeoutMs: timerMs.optional(),
    migrationsTable: migrationsTableSchema.optional(),
  }),
);

/** The role and database psql connects with, wherever they came from (options or topology). */
const connectionNamesSchema = lazySchema(() =>
  z.object({
    user: roleNameSchema.optional(),
    database: databaseNameSchema.optional(),
  }),
);

/**
 * A {@link Database} through psql on any {@link Shell} — the runbook's way:
 * `incus exec veza-staging-postgres -- psql -U veza veza < inverse.sql`.
 */
export function createPsqlDatabase(options: PsqlDatabaseOptions): Result<PostgresDatabase, DriverError> {
  return parseInput(psqlOptionsSchema, options, { driver: DRIVER, op: "options" })
    .andThen((o) =>
      parseInput(
        connectionNamesSchema,
        {
          user: options.user ?? options.topology?.database?.user,
          database: options.database ?? options.topology?.database?.name,
        },
        {
          driver: DRIVER,
          op: "options",
          hint: "the role and database (options, else the topology's database.user and database.name) must be plain names",
        },
      ).map(({ user, database }) => ({ o, user, database })),
    )
    .map(({ o, user, database }) => {
      return new PostgresDatabase(
        new PsqlTransport({
          shell: options.shell,
          psqlCommand: o.psqlCommand ?? ["psql"],
          timeoutMs: o.timeoutMs ?? 600_000,
          ...(user === undefined ? {} : { user }),
          ...(database === undefined ? {} : { database }),
          ...(o.host === undefined ? {} : { host: o.host }),
          ...(o.port === undefined ? {} : { port: o.port }),
        }),
        o.migrationsTable,
      );
    });
}
