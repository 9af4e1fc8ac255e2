import type { Action, DriverError, Shell, ShellResult } from "@backflip/core";
import { locationOf } from "@backflip/core/driver-kit";
import { err, errAsync, ok, type ResultAsync } from "neverthrow";
import { hintForSqlState, pgError, reasonForSqlState } from "./postgres-error";
import { findPsqlDirective } from "./psql-directive";
import { type ScriptRun, type SqlTransport, timeoutStatements } from "./sql-transport";

/** Where psql runs and what it connects to. */
export interface PsqlTarget {
  /** Where `psql` runs: inside the postgres container (`incus exec …`), over SSH, or locally. */
  readonly shell: Shell;
  /** The psql command as an argv prefix (default `["psql"]`). */
  readonly psqlCommand: readonly string[];
  /** `--username=` (default: psql's own default, the OS user); a validated plain name. */
  readonly user?: string;
  /** `--dbname=`; a validated plain name (no `=` or URI prefix, so never read as a conninfo). */
  readonly database?: string;
  /** `--host=`: a host or a socket directory (default: psql's, the local socket). */
  readonly host?: string;
  /** `--port=`. */
  readonly port?: number;
  /** Per-call limit for the psql process itself, in milliseconds. */
  readonly timeoutMs: number;
}

/**
 * Makes the server notice within a second that psql went away (killed on timeout or
 * abort) and stop the running statement (PostgreSQL 14+; skipped on older servers).
 */
const WATCH_CLIENT =
  "DO $$ BEGIN IF current_setting('server_version_num')::int >= 140000 THEN " +
  "PERFORM set_config('client_connection_check_interval', '1000', true); END IF; END $$";

/**
 * The runbook's transport: `psql -X -v ON_ERROR_STOP=1 --single-transaction` with the
 * script on stdin, through any {@link Shell}. With an Incus shell this is exactly
 * `incus exec veza-staging-postgres -- psql -U veza veza < inverse.sql`.
 */
export class PsqlTransport implements SqlTransport {
  readonly name: string;
  readonly #target: PsqlTarget;

  /** Keeps the target; nothing runs until a call. */
  constructor(target: PsqlTarget) {
    this.#target = target;
    this.name = `psql@${target.shell.name}`;
  }

  /** The argv of a script run (the SQL goes on stdin): what a dry run shows. */
  scriptArgv(run: Pick<ScriptRun, "statementTimeoutMs" | "lockTimeoutMs">): string[] {
    const timeouts = [...timeoutStatements({ ...run }), WATCH_CLIENT].flatMap((s) => ["-c", s]);
    return [...this.#base(), "--single-transaction", ...timeouts, "-f", "-"];
  }

  /** `psql … -f -` where the shell runs, and what goes on its stdin. */
  describeScript(run: Pick<ScriptRun, "statementTimeoutMs" | "lockTimeoutMs">, script: string): Action[] {
    return [
      { kind: "exec", where: locationOf(this.#target.shell), argv: this.scriptArgv(run) },
      { kind: "note", text: `psql reads ${script} on stdin` },
    ];
  }

  /** `psql … -c <query>` where the shell runs. */
  describeQuery(sql: string): Action[] {
    return [{ kind: "exec", where: locationOf(this.#target.shell), argv: this.#queryArgv(sql) }];
  }

  /** Refuses, before psql starts, a script holding anything psql would act on itself ({@link findPsqlDirective}). */
  applyScript(sql: string, run: ScriptRun): ResultAsync<void, DriverError> {
    const directive = findPsqlDirective(sql);
    if (directive !== null) {
      return errAsync(
        pgError(
          "applySql",
          "invalid_input",
          `line ${directive.line} of the script holds ${directive.what}: psql would act on it itself, so nothing was sent`,
          {
            hint: "inverse SQL is plain SQL: remove psql meta-commands and :variables (quote literals with '…', E'…' or $$…$$)",
            details: { line: directive.line },
          },
        ),
      );
    }
    const options = {
      stdin: sql,
      timeoutMs: this.#target.timeoutMs,
      ...(run.signal ? { signal: run.signal } : {}),
    };
    return this.#target.shell
      .run(this.scriptArgv(run), options)
      .mapErr((e) => this.#shellFailure("applySql", e))
      .andThen((r) =>
        r.exitCode === 0
          ? ok(undefined)
          : err(
              this.#psqlFailure("applySql", r, "the script failed and was rolled back: nothing was applied"),
            ),
      );
  }

  queryRows(sql: string): ResultAsync<string[][], DriverError> {
    return this.#target.shell
      .run(this.#queryArgv(sql), { timeoutMs: this.#target.timeoutMs })
      .mapErr((e) => this.#shellFailure("query", e))
      .andThen((r) =>
        r.exitCode === 0
          ? ok(
              r.stdout
                .split("\n")
                .filter((line) => line !== "")
                .map((line) => line.split("\t")),
            )
          : err(this.#psqlFailure("query", r, "the query failed")),
      );
  }

  #queryArgv(sql: string): string[] {
    return [...this.#base(), "-A", "-t", "-F", "\t", "-c", sql];
  }

  #base(): string[] {
    const t = this.#target;
    return [
      ...t.psqlCommand,
      "-X",
      "-q",
      "-v",
      "ON_ERROR_STOP=1",
      "-v",
      "VERBOSITY=verbose",
      ...(t.host === undefined ? [] : [`--host=${t.host}`]),
      ...(t.port === undefined ? [] : [`--port=${t.port}`]),
      ...(t.user === undefined ? [] : [`--username=${t.user}`]),
      ...(t.database === undefined ? [] : [`--dbname=${t.database}`]),
    ];
  }

  #shellFailure(op: string, e: DriverError): DriverError {
    if (e.reason === "not_found" && e.op === "run") {
      return pgError(op, "unavailable", `psql is not installed on ${this.#target.shell.name}: ${e.message}`, {
        hint: "install the PostgreSQL client there, or pass psqlCommand",
        cause: e,
      });
    }
    if (e.reason === "aborted" || e.reason === "timeout") {
      return pgError(
        op,
        e.reason,
        `psql on ${this.#target.shell.name} was stopped (${e.reason}): the transaction was not committed`,
        {
          hint: "the server rolls back a transaction whose client went away; check with migrationState before retrying",
          cause: e,
        },
      );
    }
    return pgError(op, e.reason, `psql on ${this.#target.shell.name} could not run: ${e.message}`, {
      cause: e,
    });
  }

  #psqlFailure(op: string, r: ShellResult, what: string): DriverError {
    const stderr = r.stderr.trim();
    if (r.exitCode === 127 && !/ERROR:/.test(stderr)) {
      return pgError(op, "unavailable", `psql is not installed on ${this.#target.shell.name}`, {
        hint: "install the PostgreSQL client there, or pass psqlCommand",
      });
    }
    const found = /(?:ERROR|FATAL):\s+([0-9A-Z]{5}):\s+(.*)/.exec(stderr);
    const sqlstate = found?.[1];
    const reason =
      sqlstate !== undefined ? reasonForSqlState(sqlstate) : connectionReason(stderr, r.exitCode);
    const text =
      (found?.[2] ?? stderr.split("\n").slice(0, 4).join(" ")).trim() || `psql exited with ${r.exitCode}`;
    const where = /^psql:<stdin>:(\d+):/m.exec(stderr)?.[1];
    const hint = hintForSqlState(sqlstate);
    return pgError(op, reason, `${what} (${this.name}): ${text}${where ? ` (script line ${where})` : ""}`, {
      ...(hint === undefined ? {} : { hint }),
      details: {
        exitCode: r.exitCode,
        ...(sqlstate === undefined ? {} : { sqlstate }),
        ...(where ? { line: Number(where) } : {}),
      },
    });
  }
}

/** psql's connection failures (exit 2) carry no SQLSTATE: read the libpq wording. */
function connectionReason(stderr: string, exitCode: number | null) {
  if (
    /password authentication failed|no pg_hba\.conf entry|role "[^"]*" does not exist|Peer authentication failed/i.test(
      stderr,
    )
  ) {
    return "unauthorized" as const;
  }
  if (/database "[^"]*" does not exist/i.test(stderr)) return "not_found" as const;
  if (
    exitCode === 2 ||
    /could not connect|connection to server|Connection refused|No such file or directory/i.test(stderr)
  ) {
    return "unavailable" as const;
  }
  return "failed" as const;
}
