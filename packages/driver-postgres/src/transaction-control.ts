/** A statement of a script that would end or start a transaction on its own. */
export interface TransactionControl {
  /** 1-based index of the statement in the script. */
  readonly statement: number;
  /** The statement's leading keywords, e.g. `COMMIT`. */
  readonly keyword: string;
}

/**
 * Finds the first statement that controls the transaction (BEGIN, START TRANSACTION,
 * COMMIT, END, ROLLBACK — but not ROLLBACK TO SAVEPOINT —, ABORT, PREPARE TRANSACTION).
 * Such a statement would break `applySql`'s all-or-nothing promise. Lexes PostgreSQL's
 * comments, quoted strings and identifiers, dollar quotes and `BEGIN ATOMIC … END`
 * bodies, so a keyword inside any of those is not a statement.
 */
export function findTransactionControl(sql: string): TransactionControl | null {
  let statement = 1;
  let words: string[] = [];
  let atomicDepth = 0;
  let i = 0;
  const endStatement = (): TransactionControl | null => {
    const found = classify(words);
    words = [];
    return found === null ? null : { statement, keyword: found };
  };
  while (i < sql.length) {
    const c = sql[i] ?? "";
    const next = sql[i + 1] ?? "";
    if (c === "-" && next === "-") {
      const end = sql.indexOf("\n", i);
      i = end < 0 ? sql.length : end + 1;
    } else if (c === "/" && next === "*") {
      i = skipBlockComment(sql, i);
    } else if (c === "'") {
      const escapes =
        /[eE]$/.test(sql.slice(Math.max(0, i - 1), i)) && !/[A-Za-z0-9_]/.test(sql[i - 2] ?? "");
      i = skipQuoted(sql, i, "'", escapes);
    } else if (c === '"') {
      i = skipQuoted(sql, i, '"', false);
    } else if (c === "$" && /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.test(sql.slice(i))) {
      const tag = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i))?.[0] ?? "$$";
      const end = sql.indexOf(tag, i + tag.length);
      i = end < 0 ? sql.length : end + tag.length;
    } else if (/[A-Za-z_]/.test(c)) {
      const word = /^[A-Za-z_][A-Za-z0-9_$]*/.exec(sql.slice(i))?.[0] ?? c;
      const upper = word.toUpperCase();
      if (upper === "ATOMIC" && words.at(-1) === "BEGIN") atomicDepth += 1;
      else if (atomicDepth > 0 && upper === "CASE") atomicDepth += 1;
      else if (atomicDepth > 0 && upper === "END") atomicDepth -= 1;
      words.push(upper);
      i += word.length;
    } else if (c === ";" && atomicDepth === 0) {
      const found = endStatement();
      if (found !== null) return found;
      statement += 1;
      i += 1;
    } else {
      if (!/\s/.test(c)) words.push(c);
      i += 1;
    }
  }
  return endStatement();
}

function classify(words: readonly string[]): string | null {
  const [first, second] = words;
  switch (first) {
    case "BEGIN":
    case "COMMIT":
    case "END":
    case "ABORT":
      return first;
    case "START":
      return second === "TRANSACTION" ? "START TRANSACTION" : null;
    case "ROLLBACK":
      return second === "TO" ? null : "ROLLBACK";
    case "PREPARE":
      return second === "TRANSACTION" ? "PREPARE TRANSACTION" : null;
    default:
      return null;
  }
}

function skipBlockComment(sql: string, from: number): number {
  let depth = 0;
  let i = from;
  while (i < sql.length) {
    if (sql.startsWith("/*", i)) {
      depth += 1;
      i += 2;
    } else if (sql.startsWith("*/", i)) {
      depth -= 1;
      i += 2;
      if (depth === 0) return i;
    } else i += 1;
  }
  return i;
}

function skipQuoted(sql: string, from: number, quote: string, backslashEscapes: boolean): number {
  let i = from + 1;
  while (i < sql.length) {
    const c = sql[i];
    if (backslashEscapes && c === "\\") i += 2;
    else if (c === quote && sql[i + 1] === quote) i += 2;
    else if (c === quote) return i + 1;
    else i += 1;
  }
  return i;
}
