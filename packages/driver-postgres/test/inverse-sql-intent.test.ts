import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect } from "node:util";
import {
  FileJournal,
  FileLeaseLock,
  MemoryJournal,
  MemoryLeaseLock,
  type RunEvent,
  runPlan,
} from "@backflip/core";
import { applyInverseSql, planForIntent, vezaTopology } from "@backflip/core/recipes";
import { recordingShell } from "@backflip/core/testing/fakes";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { createPsqlDatabase } from "../src/postgres-database";
import { adminSql, dropLeftoverDatabases, freshDatabase, postgresSkip, psqlDatabase } from "./pg-backend";

/** Every file under `dir`, recursively, as text. */
const allText = (dir: string): string =>
  readdirSync(dir, { recursive: true, encoding: "utf8" })
    .map((name) => join(dir, name))
    .filter((path) => statSync(path).isFile())
    .map((path) => readFileSync(path, "utf8"))
    .join("\n");

describe("the inverse-SQL intent: a digest and the file, never the text", () => {
  const topology = vezaTopology("staging");
  const who = { actor: "alice", reason: "schema poisoned" };
  const setup = () => {
    const dir = mkdtempSync(join(tmpdir(), "bf-inverse-intent-"));
    const shell = recordingShell(() => ({}));
    const database = createPsqlDatabase({ shell, topology })._unsafeUnwrap();
    return { dir, shell, database, done: () => rmSync(dir, { recursive: true, force: true }) };
  };

  it("a one-line file is announced as 1 line (issue 17 finding 10)", async () => {
    const { dir, database, done } = setup();
    const sqlFile = join(dir, "one.sql");
    writeFileSync(sqlFile, "UPDATE t SET a = 1;\n");
    const plan = (await applyInverseSql(topology, { database }, { ...who, sqlFile }))._unsafeUnwrap();
    expect(plan.render()).toContain("Apply the inverse SQL (1 line) in one transaction");
    expect(plan.render()).toContain("the SQL script (1 line, sha256");
    expect(plan.intent.params).toMatchObject({ lines: 1, sqlFile });
    done();
  });

  it("a resumed plan reads the file again, applies it when unchanged and refuses it when changed", async () => {
    const { dir, shell, database, done } = setup();
    const sqlFile = join(dir, "inverse.sql");
    writeFileSync(sqlFile, "UPDATE t SET a = 1;\nUPDATE t SET b = 2;");
    const planned = (await applyInverseSql(topology, { database }, { ...who, sqlFile }))._unsafeUnwrap();
    const resumed = planForIntent(topology, { database }, planned.intent)._unsafeUnwrap();
    const run = () => runPlan(resumed, { journal: new MemoryJournal(), lock: new MemoryLeaseLock() });
    (await run())._unsafeUnwrap();
    expect(shell.calls.map((c) => c.stdin)).toContain("UPDATE t SET a = 1;\nUPDATE t SET b = 2;");
    writeFileSync(sqlFile, "DROP TABLE t;");
    const calls = shell.calls.length;
    const error = (await run())._unsafeUnwrapErr();
    expect(error.report?.error?.message).toContain("changed since the run was planned");
    expect(shell.calls.slice(calls).map((c) => c.stdin)).not.toContain("DROP TABLE t;");
    done();
  });

  it("inline SQL is planned by digest; a plan rebuilt from the intent alone refuses to apply it", async () => {
    const { database, done } = setup();
    const planned = (
      await applyInverseSql(
        topology,
        { database },
        { ...who, sql: "ALTER ROLE app PASSWORD 'Inline-Canary';" },
      )
    )._unsafeUnwrap();
    expect(JSON.stringify(planned.intent)).not.toContain("Inline-Canary");
    const resumed = planForIntent(topology, { database }, planned.intent)._unsafeUnwrap();
    const error = (
      await runPlan(resumed, { journal: new MemoryJournal(), lock: new MemoryLeaseLock() })
    )._unsafeUnwrapErr();
    expect(error.report?.error?.message).toContain("not in the journal");
    done();
  });
});

describe.skipIf(postgresSkip)("inverse SQL holding a password on PostgreSQL 15 (issue 17 finding 1)", () => {
  const root = mkdtempSync(join(tmpdir(), "bf-inverse-secret-"));
  const role = `bf_role_${randomBytes(4).toString("hex")}`;
  afterEach(dropLeftoverDatabases);
  afterAll(async () => {
    await adminSql("postgres", `DROP ROLE IF EXISTS ${role}`);
    rmSync(root, { recursive: true, force: true });
  });

  it.each([
    ["applied", ""],
    ["failing after it", "\nSELECT no_such_column FROM no_such_table;"],
  ])("%s: the password never reaches the journal, the events, stdout or stderr", async (name, tail) => {
    await adminSql("postgres", `DROP ROLE IF EXISTS ${role}; CREATE ROLE ${role} LOGIN`);
    const password = `Canary-${randomBytes(6).toString("hex")}`;
    const dir = join(root, name.replace(/\W+/g, "-"));
    const sqlFile = join(root, `${name.replace(/\W+/g, "-")}.sql`);
    writeFileSync(sqlFile, `ALTER ROLE ${role} PASSWORD '${password}';${tail}\n`, { mode: 0o600 });
    const db = await freshDatabase();
    const printed: string[] = [];
    for (const stream of [process.stdout, process.stderr]) {
      vi.spyOn(stream, "write").mockImplementation((chunk: string | Uint8Array) => {
        printed.push(String(chunk));
        return true;
      });
    }
    const events: RunEvent[] = [];
    try {
      const plan = (
        await applyInverseSql(
          vezaTopology("staging"),
          { database: psqlDatabase(db.name) },
          { actor: "alice", reason: "schema poisoned", sqlFile },
        )
      )._unsafeUnwrap();
      const result = await runPlan(plan, {
        journal: new FileJournal({ dir: join(dir, "journal") }),
        lock: new FileLeaseLock({ dir: join(dir, "locks") }),
        onEvent: (event) => events.push(event),
      });
      expect(result.isOk()).toBe(tail === "");
      const outcome = result.match(
        (report) => inspect(report, { depth: 20 }),
        (error) => inspect(error, { depth: 20 }),
      );
      expect(plan.render()).not.toContain(password);
      expect(JSON.stringify(plan.intent)).not.toContain(password);
      expect(outcome).not.toContain(password);
    } finally {
      vi.restoreAllMocks();
    }
    expect(allText(dir)).toContain("inverse-sql");
    expect(allText(dir)).not.toContain(password);
    expect(JSON.stringify(events)).not.toContain(password);
    expect(printed.join("")).not.toContain(password);
    await db.drop();
  });
});
