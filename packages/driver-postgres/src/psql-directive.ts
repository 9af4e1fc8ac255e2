import { sqlTokens } from "./sql-tokens";

/** Something in a script that psql itself would act on instead of sending it to the server. */
export interface PsqlDirective {
  /** 1-based line of the script. */
  readonly line: number;
  /** What it is, for the message (never the script's text beyond a meta-command's name). */
  readonly what: string;
}

/** A meta-command's name, safe to show: `\!`, `\o`, `\set`, … (letters only, cut short). */
const metaName = (sql: string, at: number) => `\\${/^[A-Za-z!?]{0,8}/.exec(sql.slice(at + 1))?.[0] ?? ""}`;

/**
 * Finds the first thing psql would interpret in a script it reads with `-f`: a backslash
 * meta-command (`\! cmd`, `\o file`, `\c db`, `\set x COMMIT`, …) or a variable reference
 * (`:x`, `:'x'`, `:"x"`, `:{?x}`) outside quotes, dollar quotes and comments; a backslash
 * inside a plain `'…'` string (with `standard_conforming_strings` off psql would read it
 * as an escape and end the string elsewhere: use `E'…'` or a dollar quote); a change of
 * `client_encoding` (`SET NAMES`), which changes how psql splits the rest.
 */
export function findPsqlDirective(sql: string): PsqlDirective | null {
  const lineOf = (at: number) => sql.slice(0, at).split("\n").length;
  let previous = "";
  for (const token of sqlTokens(sql)) {
    if (token.kind === "symbol" && token.text === "\\") {
      return { line: lineOf(token.at), what: `the psql meta-command ${metaName(sql, token.at)}` };
    }
    if (
      token.kind === "symbol" &&
      token.text === ":" &&
      /^[A-Za-z_\u0080-\uffff'"{]/.test(sql[token.at + 1] ?? "")
    ) {
      return { line: lineOf(token.at), what: "a psql variable reference (:name)" };
    }
    if (token.kind === "quoted" && token.quote === "'" && token.text.includes("\\")) {
      return {
        line: lineOf(token.at),
        what: "a backslash inside a '…' string (write E'…' or a dollar quote)",
      };
    }
    if (token.kind === "word") {
      const upper = token.text.toUpperCase();
      if (
        upper === "CLIENT_ENCODING" ||
        (upper === "NAMES" && ["SET", "SESSION", "LOCAL"].includes(previous))
      ) {
        return { line: lineOf(token.at), what: "a change of client_encoding" };
      }
      previous = upper;
    } else if (token.kind !== "comment") previous = "";
  }
  return null;
}
