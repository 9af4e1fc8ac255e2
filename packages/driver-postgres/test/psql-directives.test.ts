import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { findPsqlDirective } from "../src/psql-directive";
import {
  adminSql,
  dropLeftoverDatabases,
  freshDatabase,
  postgresSkip,
  psqlDatabase,
  tableExists,
} from "./pg-backend";

/** Scripts psql would act on itself; `@M@` is replaced by a marker path the payload would create. */
const HOSTILE: ReadonlyArray<readonly [string, string]> = [
  ["shell escape", "CREATE TABLE bf_hostile (id int);\n\\! touch @M@\n"],
  ["shell escape mid-line", "CREATE TABLE bf_hostile (id int); SELECT 1 \\! touch @M@\n"],
  ["output redirection", "\\o @M@\nCREATE TABLE bf_hostile (id int);\nSELECT 'written';\n"],
  ["reconnect", "CREATE TABLE bf_hostile (id int);\n\\c postgres\nSELECT 1;\n"],
  [
    "variable COMMIT",
    "CREATE TABLE bf_hostile (id int);\n\\set x COMMIT\n:x;\nSELECT missing_column FROM nowhere;\n",
  ],
  ["quoted variable", "CREATE TABLE bf_hostile (id int);\nSELECT :'DBNAME';\n"],
  [
    "backslash ending a '…' string when standard_conforming_strings is off",
    "SELECT 'a\\' \\! touch @M@\n';\n",
  ],
  ["identifier with $ before a dollar-quote look-alike", "SELECT 1 AS é$a$ \\! touch @M@\n$a$;\n"],
  ["E as the end of a word is no E-string", "SELECT 1 AS a$E'\\' \\! touch @M@\n';\n"],
  ["client encoding", "SET NAMES 'SJIS';\nCREATE TABLE bf_hostile (id int);\n"],
];

/** Scripts carrying the same payloads as inert text. */
const INERT = [
  "CREATE TABLE bf_inert (note text);",
  "INSERT INTO bf_inert VALUES (':x; touch @M@ is text'), (E'\\\\! touch @M@, it''s text'), ($$\\o @M@$$), ($tag$:x; \\c$tag$);",
  "-- \\! touch @M@\n/* \\o @M@ /* nested */ \\c postgres */",
  'SELECT 1::int AS "\\!touch", now()::date;',
  "DO $$ DECLARE v int; BEGIN v := 1; END $$;",
].join("\n");

describe("finding psql directives in a script (issue 17 finding 2)", () => {
  it.each(HOSTILE)("refuses %s", (_name, script) => {
    expect(findPsqlDirective(script)).not.toBeNull();
  });

  it("accepts the payloads inside quotes, dollar quotes, identifiers and comments, and :: and :=", () => {
    expect(findPsqlDirective(INERT)).toBeNull();
  });

  it("property: any text quoted as psql and the server read it is inert; a backslash outside quotes never is", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), fc.string({ unit: "binary" }), (text, tail) => {
        let dollar = text;
        while (dollar.includes("$q$")) dollar = dollar.replaceAll("$q$", "");
        expect(findPsqlDirective(`SELECT $q$${dollar}$q$;`)).toBeNull();
        const escaped = text.replaceAll("\\", "\\\\").replaceAll("'", "''");
        expect(findPsqlDirective(`SELECT E'${escaped}';`)).toBeNull();
        expect(findPsqlDirective(`SELECT "${text.replaceAll('"', '""')}";`)).toBeNull();
        expect(findPsqlDirective(`SELECT '${text.replaceAll("'", "''")}';`) === null).toBe(
          !text.includes("\\"),
        );
        expect(findPsqlDirective(`SELECT 1; /* ${text.replaceAll("*", "")} */ \\${tail}`)).not.toBeNull();
      }),
    );
  });

  it("names the line and the meta-command, never the rest of the script", () => {
    expect(findPsqlDirective("SELECT 1;\nSELECT 2;\n\\! echo s3cret")).toEqual({
      line: 3,
      what: "the psql meta-command \\!",
    });
  });
});

describe.skipIf(postgresSkip)("psql on PostgreSQL 15: meta-commands never run (issue 17 finding 2)", () => {
  const dir = mkdtempSync(join(tmpdir(), "bf-psql-meta-"));
  afterEach(dropLeftoverDatabases);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each(HOSTILE)(
    "%s: invalid_input before psql starts; no marker, nothing applied",
    async (name, script) => {
      const db = await freshDatabase();
      const marker = join(dir, `marker-${name.replace(/\W+/g, "-")}`);
      const e = (await psqlDatabase(db.name).applySql(script.replaceAll("@M@", marker)))._unsafeUnwrapErr();
      expect(e.reason).toBe("invalid_input");
      expect(e.message).toContain("psql would act on it itself");
      expect(existsSync(marker)).toBe(false);
      expect(await tableExists(db.name, "bf_hostile")).toBe(false);
      await db.drop();
    },
  );

  it("the same payloads as text are applied as text and run nothing", async () => {
    const db = await freshDatabase();
    const marker = join(dir, "marker-inert");
    (await psqlDatabase(db.name).applySql(INERT.replaceAll("@M@", marker)))._unsafeUnwrap();
    const rows = await adminSql(db.name, "SELECT note FROM bf_inert");
    expect(rows.rows.map((r) => r.note).sort()).toEqual(
      [`:x; \\c`, `:x; touch ${marker} is text`, `\\! touch ${marker}, it's text`, `\\o ${marker}`].sort(),
    );
    expect(readdirSync(dir)).toEqual([]);
    await db.drop();
  });
});
