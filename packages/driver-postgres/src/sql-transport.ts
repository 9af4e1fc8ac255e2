import type { Action, DriverError } from "@backflip/core";
import type { ResultAsync } from "neverthrow";

/** Timeouts and cancellation of one script, already validated. */
export interface ScriptRun {
  readonly statementTimeoutMs: number;
  readonly lockTimeoutMs: number;
  readonly signal?: AbortSignal;
}

/**
 * How SQL reaches PostgreSQL: the wire protocol (`pg`) or psql over a Shell. Both run a
 * script in one transaction that stops at the first error, and read rows as text.
 */
export interface SqlTransport {
  /** For messages, e.g. `pg:postgres@127.0.0.1:5432/veza` or `psql@incus:veza-staging-postgres`. */
  readonly name: string;
  /** Runs `sql` in one transaction with `SET LOCAL` timeouts; rolls back on any error. */
  applyScript(sql: string, run: ScriptRun): ResultAsync<void, DriverError>;
  /** Runs one read-only query; each row's columns as text (`t`/`f` for booleans). */
  queryRows(sql: string): ResultAsync<string[][], DriverError>;
  /** The dry run of {@link applyScript}; `script` names the script (never its text). */
  describeScript(run: Pick<ScriptRun, "statementTimeoutMs" | "lockTimeoutMs">, script: string): Action[];
  /** The dry run of {@link queryRows}. */
  describeQuery(sql: string): Action[];
}

/** The two `SET LOCAL` statements that bound a script's statements and lock waits. */
export function timeoutStatements(run: ScriptRun): string[] {
  return [
    `SET LOCAL statement_timeout = ${Math.trunc(run.statementTimeoutMs)}`,
    `SET LOCAL lock_timeout = ${Math.trunc(run.lockTimeoutMs)}`,
  ];
}
