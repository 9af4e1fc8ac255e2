import { randomBytes } from "node:crypto";
import { LocalShell } from "@backflip/core";
import type { MigrationFixtureState } from "@backflip/core/testing";
import { backendEnv, skipUnlessBackend } from "@backflip/core/testing";
import pg from "pg";
import { createPsqlDatabase, type PostgresDatabase } from "../src/postgres-database";

/** The PostgreSQL 15 cluster that `scripts/backends up postgres` started, or `null`. */
export const postgres = backendEnv("postgres");

/** Skip message (or `false`) for suites that need the real cluster. */
export const postgresSkip = skipUnlessBackend(postgres !== null, "postgres", "scripts/backends up postgres");

/** Connection facts of the cluster (trusted `postgres` superuser on 127.0.0.1). */
export const pgHost = postgres?.PG_HOST ?? "127.0.0.1";
export const pgPort = Number(postgres?.PG_PORT ?? 55432);

/** Runs SQL as the superuser in `database` on a short-lived connection. */
export async function adminSql(
  database: string,
  sql: string,
  values: unknown[] = [],
): Promise<pg.QueryResult> {
  const client = new pg.Client({ host: pgHost, port: pgPort, user: "postgres", database });
  await client.connect();
  try {
    return await client.query(sql, values);
  } finally {
    await client.end();
  }
}

const created = new Set<string>();

/** Creates an empty database for one test; `drop` removes it (closing stray sessions). */
export async function freshDatabase(): Promise<{ name: string; drop: () => Promise<void> }> {
  const name = `bf_${randomBytes(5).toString("hex")}`;
  await adminSql("postgres", `CREATE DATABASE ${name}`);
  created.add(name);
  const drop = async () => {
    await adminSql("postgres", `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    created.delete(name);
  };
  return { name, drop };
}

/** Drops every database {@link freshDatabase} made that a failed test left behind. */
export async function dropLeftoverDatabases(): Promise<void> {
  for (const name of [...created]) {
    await adminSql("postgres", `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    created.delete(name);
  }
}

/** Whether `table` exists in `database`. */
export async function tableExists(database: string, table: string): Promise<boolean> {
  const r = await adminSql(database, "SELECT to_regclass($1) IS NOT NULL AS present", [table]);
  return r.rows[0]?.present === true;
}

/** Puts golang-migrate's table in a state (DDL as golang-migrate creates it). */
export async function setMigrationState(database: string, state: MigrationFixtureState): Promise<void> {
  await adminSql(database, "DROP TABLE IF EXISTS schema_migrations");
  if (state === "no-table") return;
  await adminSql(
    database,
    "CREATE TABLE schema_migrations (version bigint not null primary key, dirty boolean not null)",
  );
  if (state === "no-row") return;
  await adminSql(database, "INSERT INTO schema_migrations (version, dirty) VALUES ($1, $2)", [
    state.version,
    state.dirty,
  ]);
}

/** Conformance fixtures for one fresh database. */
export function conformanceFixtures(database: string) {
  return {
    goodScript: [
      "CREATE TABLE bf_good_a (id int primary key);",
      "INSERT INTO bf_good_a VALUES (1), (2);",
      "-- a comment; with a semicolon",
      "CREATE TABLE bf_good_b (note text);",
      "INSERT INTO bf_good_b VALUES ('it''s; not a split'), ($$COMMIT;$$);",
    ].join("\n"),
    failingScript: [
      "CREATE TABLE bf_fail_a (id int);",
      "INSERT INTO bf_fail_a VALUES (1);",
      "UPDATE bf_missing_table SET x = 1;",
      "CREATE TABLE bf_fail_b (id int);",
    ].join("\n"),
    effectsVisible: async (script: "good" | "failing") =>
      script === "good"
        ? (await tableExists(database, "bf_good_a")) || (await tableExists(database, "bf_good_b"))
        : (await tableExists(database, "bf_fail_a")) || (await tableExists(database, "bf_fail_b")),
    setMigrationState: (state: MigrationFixtureState) => setMigrationState(database, state),
  };
}

/** A psql {@link PostgresDatabase} on this machine's psql, as the superuser, in `database`. */
export function psqlDatabase(database: string): PostgresDatabase {
  return createPsqlDatabase({
    shell: new LocalShell(),
    psqlCommand: [postgres?.PSQL ?? "psql"],
    host: pgHost,
    port: pgPort,
    user: "postgres",
    database,
  })._unsafeUnwrap();
}
