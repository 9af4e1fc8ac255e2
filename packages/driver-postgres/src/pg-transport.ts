import { checkServerIdentity } from "node:tls";
import type { Action, DriverError } from "@backflip/core";
import { err, ok, type Result, ResultAsync } from "neverthrow";
import pg from "pg";
import type { PgTls } from "./pg-tls";
import { hintForSqlState, pgError, reasonForSqlState, redact } from "./postgres-error";
import { type ScriptRun, type SqlTransport, timeoutStatements } from "./sql-transport";

/** Where and how the wire client connects. */
export interface PgConnection {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password?: string;
  readonly database: string;
  /** Clear text (`false`, only when asked for), or TLS whose certificate is always verified. */
  readonly tls: PgTls;
  readonly connectTimeoutMs: number;
}

/** The fields of a `pg` error worth keeping; never the client or its config. */
interface PgErrorLike {
  readonly message?: string;
  readonly code?: string;
  readonly severity?: string;
  readonly position?: string;
  readonly where?: string;
  readonly detail?: string;
}

/**
 * The wire transport: one short-lived `pg` client per call. A script runs as one
 * simple-protocol query inside `BEGIN … COMMIT`; an abort cancels it server-side
 * (`pg_cancel_backend` from a second connection) and rolls back.
 */
export class PgTransport implements SqlTransport {
  readonly name: string;
  readonly #connection: PgConnection;

  /** Keeps the connection settings; nothing connects until a call. */
  constructor(connection: PgConnection) {
    this.#connection = connection;
    this.name = `pg:${connection.user}@${connection.host}:${connection.port}/${connection.database}`;
  }

  /** The transaction the script runs in, on this connection (the script named, never shown). */
  describeScript(run: Pick<ScriptRun, "statementTimeoutMs" | "lockTimeoutMs">, script: string): Action[] {
    const statements = ["BEGIN", ...timeoutStatements(run), `<${script}>`, "COMMIT"];
    return [{ kind: "sql", where: this.name, statement: statements.join("; ") }];
  }

  /** The query, on this connection. */
  describeQuery(sql: string): Action[] {
    return [{ kind: "sql", where: this.name, statement: sql }];
  }

  applyScript(sql: string, run: ScriptRun): ResultAsync<void, DriverError> {
    return ResultAsync.fromSafePromise(
      this.#withClient("applySql", async (client) => {
        let cancelled = false;
        const onAbort = () => {
          cancelled = true;
          void this.#cancel(client);
        };
        run.signal?.addEventListener("abort", onAbort, { once: true });
        try {
          await client.query("BEGIN");
          await client.query(timeoutStatements(run).join("; "));
          await client.query(sql);
          await client.query("COMMIT");
          return ok(undefined);
        } catch (error) {
          await client.query("ROLLBACK").catch(() => undefined);
          if (cancelled) {
            return err(
              pgError(
                "applySql",
                "aborted",
                `the script on ${this.name} was aborted and rolled back: nothing was applied`,
              ),
            );
          }
          return err(
            this.#failure("applySql", error, "the script failed and was rolled back: nothing was applied"),
          );
        } finally {
          run.signal?.removeEventListener("abort", onAbort);
        }
      }),
    ).andThen((r) => r);
  }

  queryRows(sql: string): ResultAsync<string[][], DriverError> {
    return ResultAsync.fromSafePromise(
      this.#withClient("query", async (client) => {
        try {
          const result = await client.query({
            text: sql,
            rowMode: "array",
            types: { getTypeParser: () => textValue },
          });
          return ok((result.rows as unknown[][]).map((row) => row.map((v) => (v === null ? "" : String(v)))));
        } catch (error) {
          return err(this.#failure("query", error, "the query failed"));
        }
      }),
    ).andThen((r) => r);
  }

  async #withClient<T>(
    op: string,
    use: (client: pg.Client) => Promise<Result<T, DriverError>>,
  ): Promise<Result<T, DriverError>> {
    const client = this.#client();
    client.on("error", () => {
      // A dropped connection surfaces through the pending query's rejection.
    });
    try {
      await client.connect();
    } catch (error) {
      await client.end().catch(() => undefined);
      return err(this.#failure(op, error, `cannot connect to ${this.name}`));
    }
    try {
      return await use(client);
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  #client(): pg.Client {
    const c = this.#connection;
    return new pg.Client({
      host: c.host,
      port: c.port,
      user: c.user,
      database: c.database,
      connectionTimeoutMillis: c.connectTimeoutMs,
      application_name: "backflip",
      ...(c.password === undefined ? {} : { password: c.password }),
      // Always explicit: left undefined, pg would read PGSSLMODE (`no-verify` turns verification off).
      ssl: c.tls === false ? false : tlsOptions(c.tls),
    });
  }

  /** Cancels the running statement of `client` from a second connection. */
  async #cancel(client: pg.Client): Promise<void> {
    const pid = (client as unknown as { processID?: number }).processID;
    if (pid === undefined) return;
    const canceller = this.#client();
    canceller.on("error", () => undefined);
    try {
      await canceller.connect();
      await canceller.query("SELECT pg_cancel_backend($1)", [pid]);
    } catch {
      // Could not cancel: ending the session below still rolls the transaction back.
    } finally {
      await canceller.end().catch(() => undefined);
    }
  }

  #failure(op: string, error: unknown, what: string): DriverError {
    const e = (
      typeof error === "object" && error !== null ? error : { message: String(error) }
    ) as PgErrorLike & { errno?: string };
    const secrets = this.#connection.password === undefined ? [] : [this.#connection.password];
    const message = redact(e.message ?? "unknown error", secrets);
    const code = typeof e.code === "string" ? e.code : undefined;
    const sqlstate = code !== undefined && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
    const reason = sqlstate !== undefined ? reasonForSqlState(sqlstate) : networkReason(code, message);
    const hint = hintForSqlState(sqlstate) ?? tlsHint(code, message);
    return pgError(op, reason, `${what} (${this.name}): ${message}`, {
      ...(hint === undefined ? {} : { hint }),
      details: {
        ...(sqlstate === undefined ? {} : { sqlstate }),
        ...(code !== undefined && sqlstate === undefined ? { code } : {}),
        ...(e.position === undefined ? {} : { position: e.position }),
        ...(e.detail === undefined ? {} : { detail: redact(e.detail, secrets) }),
      },
      cause: {
        name: "PostgresError",
        message,
        ...(code === undefined ? {} : { code }),
        ...(e.severity === undefined ? {} : { severity: e.severity }),
      },
    });
  }
}

/**
 * pg's TLS options: the CA when given, and the server name the certificate must carry
 * (checked explicitly: pg replaces `servername` with a host name); `rejectUnauthorized`
 * is always true.
 */
function tlsOptions(tls: Exclude<PgTls, false>) {
  const { servername } = tls;
  return {
    ...(tls.ca === undefined ? {} : { ca: tls.ca }),
    ...(servername === undefined
      ? {}
      : {
          servername,
          checkServerIdentity: (_host: string, cert: Parameters<typeof checkServerIdentity>[1]) =>
            checkServerIdentity(servername, cert),
        }),
    rejectUnauthorized: true,
  };
}

/** Node's codes for a server certificate that could not be verified. */
const UNTRUSTED_CERTIFICATE = new Set([
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "CERT_UNTRUSTED",
  "CERT_SIGNATURE_FAILURE",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);

/** The next move when TLS failed: an untrusted certificate, or a server without TLS. */
function tlsHint(code: string | undefined, message: string): string | undefined {
  if (code !== undefined && UNTRUSTED_CERTIFICATE.has(code))
    return "the server's certificate was not verified: give the CA that signed it as ssl.caFile, and ssl.servername when it names the server differently than host";
  if (/does not support SSL/i.test(message))
    return "the server does not offer TLS: enable ssl on the server (or, on a network you trust, pass ssl: false)";
  return undefined;
}

/** Every column comes back as PostgreSQL's text form. */
const textValue = (value: string) => value;

function networkReason(code: string | undefined, message: string) {
  if (code !== undefined && UNTRUSTED_CERTIFICATE.has(code)) return "unauthorized" as const;
  if (code === "ETIMEDOUT" || /timeout/i.test(message)) return "timeout" as const;
  if (code === "ECONNREFUSED" || code === "ENOTFOUND" || code === "ECONNRESET" || code === "EAI_AGAIN")
    return "unavailable" as const;
  if (/terminated unexpectedly|Connection terminated/i.test(message)) return "unavailable" as const;
  return "failed" as const;
}
