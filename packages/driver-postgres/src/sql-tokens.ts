/** One token of a script, as psql's lexer (and the server's) splits it. */
export type SqlToken =
  /** An identifier or keyword (also `a$b`, non-ASCII letters: as psql reads them). */
  | { readonly kind: "word"; readonly text: string; readonly at: number }
  /** Any other character outside quotes and comments, `::` as one symbol. */
  | { readonly kind: "symbol"; readonly text: string; readonly at: number }
  /** A quoted string (`'…'`, `E'…'`), quoted identifier (`"…"`) or dollar-quoted string. */
  | {
      readonly kind: "quoted";
      readonly quote: "'" | "E'" | '"' | "$";
      readonly text: string;
      readonly at: number;
    }
  /** A `--` or `/* … *\/` comment (nested, as PostgreSQL nests them). */
  | { readonly kind: "comment"; readonly at: number };

const WORD = /^[A-Za-z_\u0080-\uffff][A-Za-z0-9_$\u0080-\uffff]*/;
const DOLLAR_TAG = /^\$([A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/;

/**
 * Splits a script the way psql's lexer does with `standard_conforming_strings` on:
 * comments, `'…'` (quotes doubled), `E'…'` (backslash escapes) only when `E` starts the
 * token, `"…"`, `$tag$…$tag$`, identifiers that may hold `$` and non-ASCII letters.
 * Unterminated quotes and comments run to the end.
 */
export function* sqlTokens(sql: string): Generator<SqlToken> {
  let i = 0;
  while (i < sql.length) {
    const c = sql[i] ?? "";
    const next = sql[i + 1] ?? "";
    const at = i;
    if (c === "-" && next === "-") {
      const end = sql.indexOf("\n", i);
      i = end < 0 ? sql.length : end + 1;
      yield { kind: "comment", at };
    } else if (c === "/" && next === "*") {
      i = skipBlockComment(sql, i);
      yield { kind: "comment", at };
    } else if (c === "'" || c === '"') {
      i = skipQuoted(sql, i, c, false);
      yield { kind: "quoted", quote: c, text: sql.slice(at, i), at };
    } else if (c === "$" && DOLLAR_TAG.test(sql.slice(i, i + 66))) {
      const tag = DOLLAR_TAG.exec(sql.slice(i, i + 66))?.[0] ?? "$$";
      const end = sql.indexOf(tag, i + tag.length);
      i = end < 0 ? sql.length : end + tag.length;
      yield { kind: "quoted", quote: "$", text: sql.slice(at, i), at };
    } else if (WORD.test(c)) {
      const word = WORD.exec(sql.slice(i, i + 256))?.[0] ?? c;
      if ((word === "E" || word === "e") && next === "'") {
        i = skipQuoted(sql, i + 1, "'", true);
        yield { kind: "quoted", quote: "E'", text: sql.slice(at, i), at };
      } else {
        i += word.length;
        yield { kind: "word", text: word, at };
      }
    } else if (c === ":" && next === ":") {
      i += 2;
      yield { kind: "symbol", text: "::", at };
    } else {
      i += 1;
      if (!/\s/.test(c)) yield { kind: "symbol", text: c, at };
    }
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
