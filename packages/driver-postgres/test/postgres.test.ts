import { execFileSync } from "node:child_process";
import { inspect } from "node:util";
import { type DriverError, formatDriverError, renderAction } from "@backflip/core";
import { vezaTopology } from "@backflip/core/recipes";
import { recordingShell } from "@backflip/core/testing/fakes";
import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { createPgDatabase, createPsqlDatabase } from "../src/postgres-database";
import { reasonForSqlState } from "../src/postgres-error";
import { findTransactionControl } from "../src/transaction-control";
import {
  adminSql,
  dropLeftoverDatabases,
  freshDatabase,
  pgHost,
  pgPort,
  postgres,
  postgresSkip,
  psqlDatabase,
  tableExists,
} from "./pg-backend";

/** Everything an error could leak through. */
const everything = (e: DriverError) =>
  [
    formatDriverError(e),
    JSON.stringify(e.details ?? {}),
    JSON.stringify(e.cause ?? {}),
    inspect(e, { depth: 8 }),
  ].join("\n");

describe("SQLSTATE to reason", () => {
  const table: ReadonlyArray<readonly [string, string]> = [
    ["42P01", "not_found"],
    ["23505", "conflict"],
    ["23503", "conflict"],
    ["57014", "timeout"],
    ["55P03", "timeout"],
    ["28P01", "unauthorized"],
    ["28000", "unauthorized"],
    ["08006", "unavailable"],
    ["40P01", "conflict"],
    ["42601", "invalid_input"],
    ["XX000", "failed"],
  ];
  for (const [code, reason] of table)
    it(`maps ${code} to ${reason}`, () => expect(reasonForSqlState(code)).toBe(reason));
});

describe("transaction control in a script", () => {
  it("finds COMMIT, BEGIN, START TRANSACTION, END, ROLLBACK, ABORT", () => {
    expect(findTransactionControl("UPDATE t SET a = 1;\nCOMMIT;\nDROP TABLE t;")).toEqual({
      statement: 2,
      keyword: "COMMIT",
    });
    expect(findTransactionControl("begin; select 1")?.keyword).toBe("BEGIN");
    expect(findTransactionControl("select 1; start transaction")?.keyword).toBe("START TRANSACTION");
    expect(findTransactionControl("select 1; end;")?.keyword).toBe("END");
    expect(findTransactionControl("select 1;\n  rollback")?.keyword).toBe("ROLLBACK");
    expect(findTransactionControl("/* x */ abort;")?.keyword).toBe("ABORT");
  });

  it("ignores keywords in strings, identifiers, comments, dollar quotes and BEGIN ATOMIC bodies", () => {
    const sql = [
      "INSERT INTO t VALUES ('COMMIT; BEGIN'), (E'it\\'s; COMMIT');",
      'SELECT "commit" FROM "begin";',
      "-- COMMIT;",
      "/* nested /* COMMIT; */ still comment; */ SELECT 1;",
      "CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $body$ BEGIN PERFORM 1; COMMIT; END $body$;",
      "CREATE FUNCTION g() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT CASE WHEN true THEN 1 END; SELECT 2; END;",
      "SAVEPOINT s; ROLLBACK TO SAVEPOINT s; RELEASE s;",
    ].join("\n");
    expect(findTransactionControl(sql)).toBeNull();
  });
});

describe("psql argv", () => {
  it("is the runbook's psql call: ON_ERROR_STOP, one transaction, the script on stdin", async () => {
    const shell = recordingShell(() => ({}), { name: "incus:veza-staging-postgres" });
    const db = createPsqlDatabase({ shell, topology: vezaTopology("staging") })._unsafeUnwrap();
    (
      await db.applySql("ALTER TABLE tracks ADD COLUMN legacy_id int;", {
        statementTimeoutMs: 60_000,
        lockTimeoutMs: 5000,
      })
    )._unsafeUnwrap();
    expect(shell.calls[0]?.argv).toEqual([
      "psql",
      "-X",
      "-q",
      "-v",
      "ON_ERROR_STOP=1",
      "-v",
      "VERBOSITY=verbose",
      "--username=veza",
      "--dbname=veza",
      "--single-transaction",
      "-c",
      "SET LOCAL statement_timeout = 60000",
      "-c",
      "SET LOCAL lock_timeout = 5000",
      "-c",
      expect.stringContaining("client_connection_check_interval"),
      "-f",
      "-",
    ]);
    expect(shell.calls[0]?.stdin).toBe("ALTER TABLE tracks ADD COLUMN legacy_id int;");
  });
});

describe("connection values (issue 17 finding 5)", () => {
  const staging = vezaTopology("staging");
  const withDatabase = (database: { user: string; name: string }) => ({
    ...staging,
    database: { ...staging.database, ...database },
  });
  const hostile = [
    "host=elsewhere dbname=veza",
    "postgresql://elsewhere/veza",
    "postgres://u@elsewhere",
    "-c",
    "--host=elsewhere",
    "veza extra",
    "",
    "v".repeat(64),
  ];

  it("refuses a role or database from the topology or the options that psql could read as a conninfo, URI or option, before running anything", async () => {
    const shell = recordingShell(() => ({}));
    for (const bad of hostile) {
      for (const options of [
        { topology: withDatabase({ user: "veza", name: bad }) },
        { topology: withDatabase({ user: bad, name: "veza" }) },
        { database: bad },
        { user: bad },
      ]) {
        const e = createPsqlDatabase({ shell, ...options } as Parameters<typeof createPsqlDatabase>[0]);
        expect(e._unsafeUnwrapErr().reason, `${JSON.stringify(options)}`).toBe("invalid_input");
      }
      for (const field of ["database", "user"] as const) {
        const wire = createPgDatabase({ host: "127.0.0.1", user: "veza", database: "veza", [field]: bad });
        expect(wire._unsafeUnwrapErr().reason, `wire ${field} ${bad}`).toBe("invalid_input");
      }
    }
    for (const host of [
      "-oProxyCommand=x",
      "a,b",
      "host with space",
      "h=1",
      "/tmp/x y",
      "/tmp/a/../../b",
      "/tmp/./x",
      "/",
    ]) {
      expect(createPsqlDatabase({ shell, host })._unsafeUnwrapErr().reason, host).toBe("invalid_input");
      expect(createPgDatabase({ host, user: "u", database: "d" })._unsafeUnwrapErr().reason, host).toBe(
        "invalid_input",
      );
    }
    expect(shell.calls).toEqual([]);
  });

  it("passes validated names as --username= / --dbname= / --host= / --port=", async () => {
    const shell = recordingShell(() => ({}));
    const db = createPsqlDatabase({
      shell,
      host: "/var/run/postgresql",
      port: 5433,
      user: "app.ro",
      database: "veza-2",
    });
    await db._unsafeUnwrap().migrationState();
    expect(shell.calls[0]?.argv).toEqual(
      expect.arrayContaining([
        "--host=/var/run/postgresql",
        "--port=5433",
        "--username=app.ro",
        "--dbname=veza-2",
      ]),
    );
    expect(createPgDatabase({ host: "::1", user: "u", database: "d" }).isOk()).toBe(true);
  });
});

describe.skipIf(postgresSkip)("PostgreSQL 15: timeouts, aborts, refusals and secrets", () => {
  afterEach(dropLeftoverDatabases);
  const wire = (database: string, extra: Partial<Parameters<typeof createPgDatabase>[0]> = {}) =>
    createPgDatabase({ host: pgHost, port: pgPort, user: "postgres", database, ...extra })._unsafeUnwrap();
  const viaPsql = psqlDatabase;

  for (const [transport, make] of [
    ["wire", wire],
    ["psql", viaPsql],
  ] as const) {
    it(`${transport}: a lock wait past lockTimeoutMs fails as timeout and applies nothing`, async () => {
      const db = await freshDatabase();
      await adminSql(db.name, "CREATE TABLE locked (id int)");
      const holder = new pg.Client({ host: pgHost, port: pgPort, user: "postgres", database: db.name });
      await holder.connect();
      try {
        await holder.query("BEGIN; LOCK TABLE locked IN ACCESS EXCLUSIVE MODE");
        const e = (
          await make(db.name).applySql("CREATE TABLE bf_before (id int); INSERT INTO locked VALUES (1);", {
            lockTimeoutMs: 300,
          })
        )._unsafeUnwrapErr();
        expect(e.reason).toBe("timeout");
        expect(e.details?.sqlstate).toBe("55P03");
        expect(e.hint).toContain("lock");
      } finally {
        await holder.query("ROLLBACK");
        await holder.end();
      }
      expect(await tableExists(db.name, "bf_before")).toBe(false);
      await db.drop();
    });

    it(`${transport}: a statement past statementTimeoutMs fails as timeout`, async () => {
      const db = await freshDatabase();
      const e = (
        await make(db.name).applySql("CREATE TABLE bf_slow (id int); SELECT pg_sleep(10);", {
          statementTimeoutMs: 300,
        })
      )._unsafeUnwrapErr();
      expect(e.reason).toBe("timeout");
      expect(e.details?.sqlstate).toBe("57014");
      expect(await tableExists(db.name, "bf_slow")).toBe(false);
      await db.drop();
    });

    it(`${transport}: an abort stops the script and nothing is applied`, async () => {
      const db = await freshDatabase();
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 500);
      const e = (
        await make(db.name).applySql("CREATE TABLE bf_aborted (id int); SELECT pg_sleep(20);", {
          signal: controller.signal,
        })
      )._unsafeUnwrapErr();
      expect(e.reason).toBe("aborted");
      // The wire client cancels the statement; psql's server notices the client is gone within a second.
      await new Promise((r) => setTimeout(r, 2000));
      const busy = await adminSql(
        "postgres",
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND query LIKE '%pg_sleep(20)%' AND state = 'active'",
        [db.name],
      );
      expect(busy.rows[0]?.n).toBe(0);
      expect(await tableExists(db.name, "bf_aborted")).toBe(false);
      await db.drop();
    });

    it(`${transport}: a script with its own COMMIT is refused before anything runs`, async () => {
      const db = await freshDatabase();
      const e = (
        await make(db.name).applySql("CREATE TABLE bf_partial (id int); COMMIT; DROP TABLE nothing;")
      )._unsafeUnwrapErr();
      expect(e.reason).toBe("invalid_input");
      expect(e.message).toContain("COMMIT");
      expect(await tableExists(db.name, "bf_partial")).toBe(false);
      await db.drop();
    });

    it(`${transport}: SQLSTATEs come back as reasons (23505 conflict, 42P01 not_found)`, async () => {
      const db = await freshDatabase();
      await adminSql(db.name, "CREATE TABLE u (id int primary key); INSERT INTO u VALUES (1)");
      const dup = (
        await make(db.name).applySql("INSERT INTO u VALUES (2); INSERT INTO u VALUES (1);")
      )._unsafeUnwrapErr();
      expect(dup.reason).toBe("conflict");
      expect(dup.details?.sqlstate).toBe("23505");
      const missing = (await make(db.name).applySql("DROP TABLE nope;"))._unsafeUnwrapErr();
      expect(missing.reason).toBe("not_found");
      expect((await adminSql(db.name, "SELECT count(*)::int AS n FROM u")).rows[0]?.n).toBe(1);
      await db.drop();
    });
  }

  it("wire: a wrong password is unauthorized and never appears in the error", async () => {
    const user = postgres?.PG_SECRET_USER ?? "bf_secret";
    const wrong = "Wr0ng-Pa55word-d0-not-leak";
    const e = (await wire("postgres", { user, password: wrong }).migrationState())._unsafeUnwrapErr();
    expect(e.reason).toBe("unauthorized");
    expect(everything(e)).not.toContain(wrong);
  });

  it("wire: the right password works, and a failing script's error does not carry it", async () => {
    const user = postgres?.PG_SECRET_USER ?? "bf_secret";
    const password = postgres?.PG_SECRET_PASSWORD ?? "";
    const db = wire("postgres", { user, password });
    expect((await db.migrationState())._unsafeUnwrap().managed).toBe(false);
    const e = (await db.applySql(`SELECT '${password}'::int;`))._unsafeUnwrapErr();
    expect(e.reason).toBe("invalid_input");
    expect(everything(e)).not.toContain(password);
    expect(inspect(db, { depth: 8, showHidden: true })).not.toContain(password);
  });

  it("wire: nothing listening is unavailable", async () => {
    const e = (await wire("postgres", { port: 1 }).migrationState())._unsafeUnwrapErr();
    expect(e.reason).toBe("unavailable");
  });

  it("psql: the dry run's lines, pasted into sh, read the migration state PostgreSQL holds", async () => {
    const db = await freshDatabase();
    await adminSql(db.name, "CREATE TABLE schema_migrations (version bigint, dirty boolean)");
    await adminSql(db.name, "INSERT INTO schema_migrations VALUES (42, false)");
    const lines = viaPsql(db.name).describe({ op: "migrationState" }).map(renderAction);
    const pasted = lines.map((line) => execFileSync("sh", ["-c", line], { encoding: "utf8" }).trim());
    expect(pasted).toEqual(["t", "42\tf"]);
  });

  it("wire: the dry run names the connection and the script's digest, never the password or the SQL", () => {
    const password = "Dry-Run-Pa55word-d0-not-leak";
    const db = wire("postgres", { user: "veza", password });
    const lines = [
      ...db.describe({ op: "migrationState" }),
      ...db.describe({ op: "applySql", sha256: "0123456789abcdef", lines: 3, lockTimeoutMs: 5000 }),
    ].map(renderAction);
    expect(lines.at(-1)).toBe(
      `# sql on pg:veza@${pgHost}:${pgPort}/postgres: BEGIN; SET LOCAL statement_timeout = 300000; SET LOCAL lock_timeout = 5000; <the SQL script (3 lines, sha256 0123456789abcdef…)>; COMMIT`,
    );
    expect(lines.join("\n")).not.toContain(password);
  });

  it("psql: a database that does not exist is not_found", async () => {
    const e = (await viaPsql("bf_no_such_database").migrationState())._unsafeUnwrapErr();
    expect(e.reason).toBe("not_found");
  });

  it("refuses bad options with invalid_input", () => {
    expect(createPgDatabase({ host: "", user: "u", database: "d" })._unsafeUnwrapErr().reason).toBe(
      "invalid_input",
    );
    expect(
      createPgDatabase({
        host: "h",
        user: "u",
        database: "d",
        migrationsTable: "x; DROP TABLE y",
      })._unsafeUnwrapErr().reason,
    ).toBe("invalid_input");
  });
});
