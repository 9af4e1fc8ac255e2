import type { Duplex } from "node:stream";
import type { DriverError } from "@backflip/core";
import { driverError } from "@backflip/core";
import { err, errAsync, ok, ResultAsync } from "neverthrow";
import { type Dispatcher, request, upgrade } from "undici";
import { DRIVER, incusError, transportError } from "./incus-error";

/** One request to the Incus API; `project` is added to every query by the client. */
export interface IncusRequest {
  readonly method: "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE";
  /** The path under the API root, e.g. `/1.0/instances/web/state`. */
  readonly path: string;
  readonly query?: Readonly<Record<string, string>>;
  /** A JSON body (sent with `Content-Type: application/json`). */
  readonly json?: unknown;
  /** A raw body (sent with `Content-Type: application/octet-stream`). */
  readonly bytes?: Uint8Array;
  readonly headers?: Readonly<Record<string, string>>;
  readonly signal?: AbortSignal;
}

/** A response whose status was below 400 and whose body was no error envelope. */
export interface IncusResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The body's bytes (empty for HEAD). */
  readonly body: Buffer;
  /** The parsed envelope, when the body was JSON. */
  readonly envelope?: IncusEnvelope;
}

/** The Incus response envelope (sync, async or error). */
export interface IncusEnvelope {
  readonly type: "sync" | "async" | "error";
  readonly status_code?: number;
  readonly error_code?: number;
  readonly error?: string;
  readonly operation?: string;
  readonly metadata?: unknown;
}

/** An Incus background operation, as `/1.0/operations/{id}` returns it. */
export interface IncusOperation {
  readonly id: string;
  readonly class: string;
  readonly status: string;
  /** 103 running … 200 success, 400 failure, 401 cancelled: compare codes, not strings. */
  readonly status_code: number;
  readonly err: string;
  readonly may_cancel: boolean;
  readonly metadata: Record<string, unknown> | null;
}

/** How the client reaches Incus. */
export interface IncusConnection {
  /** The undici dispatcher: an `Agent` on the unix socket or with TLS options, or a `MockAgent` in tests. */
  readonly dispatcher: Dispatcher;
  /** `http://unix.socket` for the local socket, `https://host:port` for a remote. */
  readonly origin: string;
  /** The socket path or URL, for messages. */
  readonly endpoint: string;
  /** The Incus project every request targets. */
  readonly project: string;
}

/**
 * A thin Incus REST client: adds `?project=` to every request, reads the envelope (an
 * `error` envelope fails even under HTTP 200), waits on operations and checks their own
 * status code and error.
 */
export class IncusClient {
  readonly #conn: IncusConnection;
  /** Requests sent with {@link IncusClient.sendLater} that have not been answered yet. */
  readonly #pending = new Set<Promise<unknown>>();
  #closing: Promise<void> | undefined;
  #sent = 0;

  /** A client over one connection. */
  constructor(connection: IncusConnection) {
    this.#conn = connection;
  }

  /** The project every request targets. */
  get project(): string {
    return this.#conn.project;
  }

  /** The socket path or URL, for messages. */
  get endpoint(): string {
    return this.#conn.endpoint;
  }

  /** How many requests this client has sent. */
  get sent(): number {
    return this.#sent;
  }

  /** Sends one request; an error envelope or a status ≥ 400 becomes a {@link DriverError}. */
  send(op: string, req: IncusRequest, hint?: string): ResultAsync<IncusResponse, DriverError> {
    const label = `${req.method} ${req.path}`;
    const headers: Record<string, string> = { ...req.headers };
    let body: string | Uint8Array | undefined;
    if (req.json !== undefined) {
      headers["content-type"] = "application/json";
      body = JSON.stringify(req.json);
    } else if (req.bytes !== undefined) {
      // Any other type (curl's default form type included) makes incusd parse and drop the body.
      headers["content-type"] = "application/octet-stream";
      body = req.bytes;
    }
    this.#sent++;
    return ResultAsync.fromPromise(
      request(this.url(req.path, req.query), {
        method: req.method,
        dispatcher: this.#conn.dispatcher,
        headers,
        ...(body === undefined ? {} : { body }),
        ...(req.signal ? { signal: req.signal } : {}),
      }).then(async (res) => ({
        status: res.statusCode,
        headers: res.headers,
        body: Buffer.from(await res.body.arrayBuffer()),
      })),
      (cause) => aborted(op, label, req.signal) ?? transportError(op, label, this.#conn.endpoint, cause),
    ).andThen((res) => {
      const envelope = parseEnvelope(res.headers["content-type"], res.body);
      if (envelope?.type === "error" || res.status >= 400) {
        const code = envelope?.error_code || res.status;
        return err(
          incusError({
            op,
            request: label,
            status: res.status,
            code,
            message: envelope?.error ?? "",
            ...(hint ? { hint } : {}),
          }),
        );
      }
      return ok({ ...res, ...(envelope ? { envelope } : {}) });
    });
  }

  /**
   * Sends a request nobody waits for (e.g. deleting an exec log once read): its outcome
   * is dropped, and {@link IncusClient.close} waits for it.
   */
  sendLater(op: string, req: IncusRequest): void {
    const sent: Promise<unknown> = Promise.resolve(this.send(op, req)).finally(() =>
      this.#pending.delete(sent),
    );
    this.#pending.add(sent);
  }

  /** Sends a request answered synchronously and returns its `metadata` and `ETag`. */
  sync<T>(
    op: string,
    req: IncusRequest,
    hint?: string,
  ): ResultAsync<{ metadata: T; etag?: string }, DriverError> {
    return this.send(op, req, hint).map((res) => {
      const etag = res.headers.etag;
      return {
        metadata: res.envelope?.metadata as T,
        ...(typeof etag === "string" ? { etag } : {}),
      };
    });
  }

  /**
   * Sends a request answered with an operation (HTTP 202) and waits until it ends:
   * `ok` only when the operation's own status code is 200 (Success).
   */
  operation(
    op: string,
    req: IncusRequest,
    timeoutS: number,
    hint?: string,
  ): ResultAsync<IncusOperation, DriverError> {
    return this.send(op, req, hint).andThen((res) => {
      const id = operationId(res.envelope);
      if (id === undefined) {
        return errAsync(
          driverError({
            driver: DRIVER,
            op,
            reason: "failed",
            message: `Incus answered ${req.method} ${req.path} without an operation (HTTP ${res.status})`,
          }),
        );
      }
      return this.wait(op, id, timeoutS, hint, req.signal);
    });
  }

  /**
   * Waits for operation `id` to end (`timeoutS` -1 waits forever) and checks the
   * operation itself: HTTP 200 from `/wait` proves nothing. A still-running operation
   * after `timeoutS` is a `timeout`; a failed one keeps Incus's `err`.
   */
  wait(
    op: string,
    id: string,
    timeoutS: number,
    hint?: string,
    signal?: AbortSignal,
  ): ResultAsync<IncusOperation, DriverError> {
    const path = `/1.0/operations/${encodeURIComponent(id)}/wait`;
    return this.sync<IncusOperation>(
      op,
      { method: "GET", path, query: { timeout: String(timeoutS) }, ...(signal ? { signal } : {}) },
      hint,
    ).andThen(({ metadata: operation }) => {
      const request = `operation ${operation?.id ?? id} (${op})`;
      if (!operation || typeof operation.status_code !== "number") {
        return err(
          driverError({
            driver: DRIVER,
            op,
            reason: "failed",
            message: `Incus returned no operation for ${request}`,
          }),
        );
      }
      if (operation.status_code === 200) return ok(operation);
      if (operation.status_code < 200) {
        return err(
          driverError({
            driver: DRIVER,
            op,
            reason: "timeout",
            message: `${request} still ${operation.status} after ${timeoutS} s`,
            hint: "the operation keeps running on the server: check it with `incus operation list`",
            details: { operation: operation.id, statusCode: operation.status_code },
          }),
        );
      }
      if (operation.status_code === 401) {
        return err(
          driverError({
            driver: DRIVER,
            op,
            reason: "aborted",
            message: `${request} was cancelled: ${operation.err || operation.status}`,
            details: { operation: operation.id, statusCode: 401 },
          }),
        );
      }
      return err(
        incusError({
          op,
          request,
          code: 0,
          message: operation.err || operation.status,
          ...(hint ? { hint } : {}),
          details: { operation: operation.id, statusCode: operation.status_code },
        }),
      );
    });
  }

  /**
   * Upgrades `GET path` to `protocol` (e.g. Incus's `/sftp`) and returns the raw stream;
   * the caller owns it and must destroy it.
   */
  upgrade(op: string, path: string, protocol: string): ResultAsync<Duplex, DriverError> {
    const label = `GET ${path} (upgrade: ${protocol})`;
    this.#sent++;
    return ResultAsync.fromPromise(
      upgrade(this.url(path), { method: "GET", protocol, dispatcher: this.#conn.dispatcher }).then(
        ({ socket }) => socket,
      ),
      (cause) => transportError(op, label, this.#conn.endpoint, cause),
    );
  }

  /**
   * Closes the connection's sockets once the requests sent with {@link IncusClient.sendLater}
   * are answered; closing again returns the same outcome.
   */
  close(): ResultAsync<void, DriverError> {
    this.#closing ??= Promise.all(this.#pending).then(() => this.#conn.dispatcher.close());
    return ResultAsync.fromPromise(this.#closing, (cause) =>
      transportError("close", "close", this.#conn.endpoint, cause),
    );
  }

  /** The URL of `path` with `query` and the project. */
  url(path: string, query: Readonly<Record<string, string>> = {}): string {
    const params = new URLSearchParams({ ...query, project: this.#conn.project });
    const sep = path.includes("?") ? "&" : "?";
    return `${this.#conn.origin}${path}${sep}${params.toString()}`;
  }
}

/** The envelope of a JSON body, or `undefined` for raw bytes. */
function parseEnvelope(contentType: string | string[] | undefined, body: Buffer): IncusEnvelope | undefined {
  const type = Array.isArray(contentType) ? contentType[0] : contentType;
  if (!type?.includes("application/json") || body.length === 0) return undefined;
  try {
    const parsed = JSON.parse(body.toString("utf8")) as unknown;
    return typeof parsed === "object" && parsed !== null && "type" in parsed
      ? (parsed as IncusEnvelope)
      : undefined;
  } catch {
    return undefined;
  }
}

/** The operation id of an async envelope. */
function operationId(envelope: IncusEnvelope | undefined): string | undefined {
  if (envelope?.type !== "async") return undefined;
  const fromMeta = (envelope.metadata as { id?: unknown } | undefined)?.id;
  if (typeof fromMeta === "string") return fromMeta;
  return envelope.operation?.split("/").pop();
}

/** An `aborted` error when the request's signal fired. */
function aborted(op: string, label: string, signal: AbortSignal | undefined): DriverError | undefined {
  if (!signal?.aborted) return undefined;
  return driverError({ driver: DRIVER, op, reason: "aborted", message: `${label} was aborted` });
}
