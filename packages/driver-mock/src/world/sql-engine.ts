import { err, ok, type Result } from "neverthrow";
import { cloneDb, type DbRow, type DbTable, type DbValue } from "./world-state";

/**
 * The simulated database's SQL: a tiny deterministic subset, applied all or nothing.
 *
 * - `CREATE TABLE [IF NOT EXISTS] t (col type …, …)`, `DROP TABLE [IF EXISTS] t[, …]`,
 *   `TRUNCATE [TABLE] t`
 * - `ALTER TABLE t ADD [COLUMN] [IF NOT EXISTS] c type …`, `… DROP [COLUMN] [IF EXISTS] c`,
 *   `… RENAME [COLUMN] a TO b`, `… RENAME TO t2`
 * - `INSERT INTO t [(cols)] VALUES (…), (…)`
 * - `UPDATE t SET c = v[, …] [WHERE cond [AND cond …]]`, `DELETE FROM t [WHERE …]`
 *   where `cond` is `c = v`, `c <> v`, `c != v`, `c IS [NOT] NULL`
 * - `BEGIN`, `START TRANSACTION`, `COMMIT` (ignored: the script is one transaction)
 * - `SELECT …` (accepted, returns nothing)
 *
 * Values: integers, decimals, `'text'` (`''` escapes a quote), `TRUE`, `FALSE`, `NULL`.
 * Identifiers may be double-quoted and prefixed by `public.`. Comments `--` and
 * `/* … *\/` are skipped. Any statement whose text contains `FAIL`, and any statement
 * outside the subset, fails the whole script.
 */
export const SQL_SUBSET = "create/drop/truncate/alter table, insert, update, delete, select (no-op)";

type Token =
  | { kind: "word"; text: string; quoted: boolean }
  | { kind: "string"; text: string }
  | { kind: "number"; value: number }
  | { kind: "punct"; text: string };

/** A failed script: the psql-like message and the 1-based statement that failed. */
export interface SqlFailure {
  readonly message: string;
  readonly statement: number;
}

/** Splits a script into statements, respecting quotes and comments (which are dropped). */
function splitStatements(sql: string): Result<string[], string> {
  const out: string[] = [];
  let current = "";
  let i = 0;
  while (i < sql.length) {
    const c = sql[i] as string;
    const next = sql[i + 1];
    if (c === "-" && next === "-") {
      while (i < sql.length && sql[i] !== "\n") i++;
      current += " ";
      continue;
    }
    if (c === "/" && next === "*") {
      const end = sql.indexOf("*/", i + 2);
      if (end < 0) return err("unterminated /* comment");
      i = end + 2;
      current += " ";
      continue;
    }
    if (c === "'" || c === '"') {
      let j = i + 1;
      for (;;) {
        if (j >= sql.length) return err(`unterminated quoted ${c === "'" ? "string" : "identifier"}`);
        if (sql[j] === c) {
          if (sql[j + 1] === c) {
            j += 2;
            continue;
          }
          break;
        }
        j++;
      }
      current += sql.slice(i, j + 1);
      i = j + 1;
      continue;
    }
    if (c === ";") {
      if (current.trim()) out.push(current.trim());
      current = "";
      i++;
      continue;
    }
    current += c;
    i++;
  }
  if (current.trim()) out.push(current.trim());
  return ok(out);
}

function tokenize(statement: string): Result<Token[], string> {
  const tokens: Token[] = [];
  const re =
    /\s+|(?<word>[A-Za-z_][A-Za-z0-9_$]*)|"(?<qid>(?:[^"]|"")*)"|'(?<str>(?:[^']|'')*)'|(?<num>-?\d+(?:\.\d+)?)|(?<punct><>|!=|[(),=*.<>])/y;
  let at = 0;
  while (at < statement.length) {
    re.lastIndex = at;
    const m = re.exec(statement);
    if (!m) return err(`syntax error at or near "${statement.slice(at, at + 12)}"`);
    at = re.lastIndex;
    const g = m.groups ?? {};
    if (g.word !== undefined) tokens.push({ kind: "word", text: g.word, quoted: false });
    else if (g.qid !== undefined)
      tokens.push({ kind: "word", text: g.qid.replaceAll('""', '"'), quoted: true });
    else if (g.str !== undefined) tokens.push({ kind: "string", text: g.str.replaceAll("''", "'") });
    else if (g.num !== undefined) tokens.push({ kind: "number", value: Number(g.num) });
    else if (g.punct !== undefined) tokens.push({ kind: "punct", text: g.punct });
  }
  return ok(tokens);
}

class Parser {
  #at = 0;
  constructor(readonly tokens: Token[]) {}

  done(): boolean {
    return this.#at >= this.tokens.length;
  }
  peek(): Token | undefined {
    return this.tokens[this.#at];
  }
  /** Consumes the keyword(s) when next, case-insensitively. */
  accept(...words: string[]): boolean {
    const start = this.#at;
    for (const w of words) {
      const t = this.tokens[this.#at];
      if (t?.kind !== "word" || t.quoted || t.text.toUpperCase() !== w) {
        this.#at = start;
        return false;
      }
      this.#at++;
    }
    return true;
  }
  expect(...words: string[]): void {
    if (!this.accept(...words)) throw new SqlError(`syntax error: expected ${words.join(" ")}`);
  }
  punct(p: string): boolean {
    const t = this.tokens[this.#at];
    if (t?.kind === "punct" && t.text === p) {
      this.#at++;
      return true;
    }
    return false;
  }
  expectPunct(p: string): void {
    if (!this.punct(p)) throw new SqlError(`syntax error: expected "${p}"`);
  }
  ident(): string {
    const t = this.tokens[this.#at];
    if (t?.kind !== "word") throw new SqlError("syntax error: expected a name");
    this.#at++;
    const name = t.quoted ? t.text : t.text.toLowerCase();
    if (name === "public" && this.punct(".")) return this.ident();
    return name;
  }
  value(): DbValue {
    const t = this.tokens[this.#at];
    if (!t) throw new SqlError("syntax error: expected a value");
    this.#at++;
    if (t.kind === "string") return t.text;
    if (t.kind === "number") return t.value;
    if (t.kind === "word" && !t.quoted) {
      const w = t.text.toUpperCase();
      if (w === "TRUE") return true;
      if (w === "FALSE") return false;
      if (w === "NULL") return null;
    }
    throw new SqlError("syntax error: expected a literal value");
  }
  /** Skips tokens up to the next top-level `,` or `)`. */
  skipToDelimiter(): void {
    let depth = 0;
    while (!this.done()) {
      const t = this.peek();
      if (t?.kind === "punct") {
        if (t.text === "(") depth++;
        else if (t.text === ")") {
          if (depth === 0) return;
          depth--;
        } else if (t.text === "," && depth === 0) return;
      }
      this.#at++;
    }
  }
  end(): void {
    if (!this.done()) throw new SqlError("syntax error: unexpected text at the end of the statement");
  }
}

class SqlError extends Error {}

type Condition = { column: string; op: "=" | "<>" | "null" | "notnull"; value: DbValue };

function table(db: Map<string, DbTable>, name: string): DbTable {
  const t = db.get(name);
  if (!t) throw new SqlError(`relation "${name}" does not exist`);
  return t;
}

function column(t: DbTable, name: string, tableName: string): string {
  if (!t.columns.includes(name))
    throw new SqlError(`column "${name}" of relation "${tableName}" does not exist`);
  return name;
}

function where(p: Parser, t: DbTable, name: string): Condition[] {
  if (!p.accept("WHERE")) return [];
  const conds: Condition[] = [];
  do {
    const col = column(t, p.ident(), name);
    if (p.accept("IS", "NOT", "NULL")) conds.push({ column: col, op: "notnull", value: null });
    else if (p.accept("IS", "NULL")) conds.push({ column: col, op: "null", value: null });
    else if (p.punct("=")) conds.push({ column: col, op: "=", value: p.value() });
    else if (p.punct("<>") || p.punct("!=")) conds.push({ column: col, op: "<>", value: p.value() });
    else throw new SqlError("syntax error: expected =, <>, != or IS [NOT] NULL");
  } while (p.accept("AND"));
  return conds;
}

const matches = (row: DbRow, conds: Condition[]) =>
  conds.every((c) => {
    const v = row[c.column] ?? null;
    if (c.op === "null") return v === null;
    if (c.op === "notnull") return v !== null;
    if (v === null || c.value === null) return false;
    return c.op === "=" ? v === c.value : v !== c.value;
  });

function columnDefs(p: Parser): string[] {
  p.expectPunct("(");
  const cols: string[] = [];
  do {
    if (!["PRIMARY", "UNIQUE", "CONSTRAINT", "FOREIGN", "CHECK"].some((k) => p.accept(k)))
      cols.push(p.ident());
    p.skipToDelimiter();
  } while (p.punct(","));
  p.expectPunct(")");
  return cols;
}

function execute(db: Map<string, DbTable>, p: Parser): void {
  if (p.accept("BEGIN") || p.accept("START", "TRANSACTION") || p.accept("COMMIT")) {
    p.accept("TRANSACTION") || p.accept("WORK");
    p.end();
    return;
  }
  if (p.accept("SELECT")) return;
  if (p.accept("CREATE", "TABLE")) {
    const ifNotExists = p.accept("IF", "NOT", "EXISTS");
    const name = p.ident();
    const cols = columnDefs(p);
    p.end();
    if (db.has(name)) {
      if (ifNotExists) return;
      throw new SqlError(`relation "${name}" already exists`);
    }
    db.set(name, { columns: cols, rows: [] });
    return;
  }
  if (p.accept("DROP", "TABLE")) {
    const ifExists = p.accept("IF", "EXISTS");
    const names: string[] = [];
    do names.push(p.ident());
    while (p.punct(","));
    p.accept("CASCADE");
    p.end();
    for (const n of names) {
      if (!db.has(n) && !ifExists) throw new SqlError(`table "${n}" does not exist`);
      db.delete(n);
    }
    return;
  }
  if (p.accept("TRUNCATE")) {
    p.accept("TABLE");
    const t = table(db, p.ident());
    p.end();
    t.rows = [];
    return;
  }
  if (p.accept("ALTER", "TABLE")) {
    alter(db, p);
    return;
  }
  if (p.accept("INSERT", "INTO")) {
    insert(db, p);
    return;
  }
  if (p.accept("UPDATE")) {
    const name = p.ident();
    const t = table(db, name);
    p.expect("SET");
    const sets: [string, DbValue][] = [];
    do {
      const col = column(t, p.ident(), name);
      p.expectPunct("=");
      sets.push([col, p.value()]);
    } while (p.punct(","));
    const conds = where(p, t, name);
    p.end();
    for (const row of t.rows) if (matches(row, conds)) for (const [c, v] of sets) row[c] = v;
    return;
  }
  if (p.accept("DELETE", "FROM")) {
    const name = p.ident();
    const t = table(db, name);
    const conds = where(p, t, name);
    p.end();
    t.rows = t.rows.filter((row) => !matches(row, conds));
    return;
  }
  throw new SqlError("syntax error: statement not supported by the simulated database");
}

function alter(db: Map<string, DbTable>, p: Parser): void {
  const name = p.ident();
  const t = table(db, name);
  if (p.accept("ADD")) {
    p.accept("COLUMN");
    const ifNotExists = p.accept("IF", "NOT", "EXISTS");
    const col = p.ident();
    p.skipToDelimiter();
    p.end();
    if (t.columns.includes(col)) {
      if (ifNotExists) return;
      throw new SqlError(`column "${col}" of relation "${name}" already exists`);
    }
    t.columns.push(col);
    for (const row of t.rows) row[col] = null;
    return;
  }
  if (p.accept("DROP")) {
    p.accept("COLUMN");
    const ifExists = p.accept("IF", "EXISTS");
    const col = p.ident();
    p.accept("CASCADE");
    p.end();
    if (!t.columns.includes(col)) {
      if (ifExists) return;
      throw new SqlError(`column "${col}" of relation "${name}" does not exist`);
    }
    t.columns = t.columns.filter((c) => c !== col);
    for (const row of t.rows) delete row[col];
    return;
  }
  if (p.accept("RENAME", "TO")) {
    const to = p.ident();
    p.end();
    if (db.has(to)) throw new SqlError(`relation "${to}" already exists`);
    db.delete(name);
    db.set(to, t);
    return;
  }
  if (p.accept("RENAME")) {
    p.accept("COLUMN");
    const from = column(t, p.ident(), name);
    p.expect("TO");
    const to = p.ident();
    p.end();
    if (t.columns.includes(to)) throw new SqlError(`column "${to}" of relation "${name}" already exists`);
    t.columns = t.columns.map((c) => (c === from ? to : c));
    for (const row of t.rows) {
      row[to] = row[from] ?? null;
      delete row[from];
    }
    return;
  }
  throw new SqlError("syntax error: ALTER TABLE supports ADD, DROP and RENAME only");
}

function insert(db: Map<string, DbTable>, p: Parser): void {
  const name = p.ident();
  const t = table(db, name);
  let cols = t.columns;
  if (p.punct("(")) {
    cols = [];
    do cols.push(column(t, p.ident(), name));
    while (p.punct(","));
    p.expectPunct(")");
  }
  p.expect("VALUES");
  const rows: DbRow[] = [];
  do {
    p.expectPunct("(");
    const values: DbValue[] = [];
    do values.push(p.value());
    while (p.punct(","));
    p.expectPunct(")");
    if (values.length !== cols.length)
      throw new SqlError(`INSERT has ${values.length} values for ${cols.length} columns`);
    const row: DbRow = Object.fromEntries(t.columns.map((c) => [c, null]));
    cols.forEach((c, i) => {
      row[c] = values[i] ?? null;
    });
    rows.push(row);
  } while (p.punct(","));
  p.end();
  t.rows.push(...rows);
}

/**
 * Applies a script to a copy of `db`, stopping at the first error (psql
 * `ON_ERROR_STOP` in one transaction): the new database, or the failure and nothing changed.
 */
export function applyScript(db: Map<string, DbTable>, sql: string): Result<Map<string, DbTable>, SqlFailure> {
  const statements = splitStatements(sql);
  if (statements.isErr()) return err({ message: `ERROR:  ${statements.error}`, statement: 1 });
  const work = cloneDb(db);
  for (const [index, text] of statements.value.entries()) {
    const fail = (message: string) =>
      err({
        message: `ERROR:  ${message} (statement ${index + 1}: ${text.slice(0, 80)})`,
        statement: index + 1,
      });
    if (text.includes("FAIL")) return fail("simulated failure: the statement contains FAIL");
    const tokens = tokenize(text);
    if (tokens.isErr()) return fail(tokens.error);
    try {
      execute(work, new Parser(tokens.value));
    } catch (e) {
      if (e instanceof SqlError) return fail(e.message);
      throw e;
    }
  }
  return ok(work);
}
