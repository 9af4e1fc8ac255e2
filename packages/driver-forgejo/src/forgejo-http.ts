import { Readable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { type DriverError, type DriverErrorReason, driverError } from "@backflip/core";
import { err, ok, type Result, ResultAsync } from "neverthrow";
import { type Dispatcher, request } from "undici";
import type { ResolvedForgejoConfig } from "./forgejo-config";
import type { ForgejoEvent } from "./forgejo-event";
import { Redactor } from "./redactor";
import { retryAfterMs } from "./retry-after";
import { backoffDelay } from "./retry-policy";
import { extractMessage, limitHint, reasonForStatus } from "./status-reason";
import { type TransportFailure, transportFailure } from "./transport-failure";

/** The driver name on every error. */
export const DRIVER = "forgejo";

/** One HTTP request as the driver makes it. */
export interface HttpRequest {
  readonly op: string;
  readonly method: "GET" | "PUT" | "POST" | "DELETE";
  readonly url: URL;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | AsyncIterable<Uint8Array>;
  /** Follow 3xx (GET only); `Authorization` is never sent to another origin. */
  readonly followRedirects?: boolean;
  readonly attempt: number;
  readonly signal?: AbortSignal;
}

/** An HTTP response; the caller must consume or dump `body`. */
export interface HttpResponse {
  readonly kind: "response";
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Dispatcher.ResponseData["body"];
  /** The URL that answered (after redirects). */
  readonly url: URL;
}

/** A failed attempt inside {@link ForgejoHttp.retrying}: tried again only when `retryable`. */
export interface FailedAttempt {
  readonly ok: false;
  readonly error: DriverError;
  readonly retryable: boolean;
  /** The server's `Retry-After` (ms): the next attempt waits exactly this long. */
  readonly retryAfterMs?: number;
}

/** One attempt's outcome inside {@link ForgejoHttp.retrying}. */
export type Attempt<T> = { readonly ok: true; readonly value: T } | FailedAttempt;

/** An attempt that failed for good: {@link ForgejoHttp.retrying} does not try it again. */
export function giveUp(error: DriverError): FailedAttempt {
  return { ok: false, error, retryable: false };
}

/** A local failure (`failed`, not retried) of `op`, e.g. a file that cannot be written. */
export function failedAttempt(
  op: string,
  message: string,
  hint: string,
  extra: { readonly cause?: unknown; readonly details?: Record<string, unknown> } = {},
): FailedAttempt {
  return giveUp(driverError({ driver: DRIVER, op, reason: "failed", message, hint, ...extra }));
}

/** The hint for an answer that is not Forgejo's. */
const CHECK_BASE_URL = "check that baseUrl points at Forgejo's root URL";

/** `failed`: `what` came back in a shape Forgejo does not document (`extraHint` adds to the hint). */
export function malformedError(op: string, what: string, extraHint = ""): DriverError {
  return driverError({
    driver: DRIVER,
    op,
    reason: "failed",
    message: `${what} is not in the shape Forgejo documents`,
    hint: `${CHECK_BASE_URL}${extraHint}`,
  });
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 5;

const DEFAULT_HINTS: Partial<Record<DriverErrorReason, string>> = {
  unauthorized:
    "check the token: package reads need read:package, uploads and deletes write:package and write access to the owner (Forgejo answers 401, not 403, for a missing scope); Actions need read:repository / write:repository",
  unavailable: "Forgejo is unreachable or failing: retry later; if the registry stays down, use Path 3",
  timeout: "Forgejo did not answer in time: retry later, or raise headersTimeoutMs / bodyTimeoutMs",
};

/**
 * The driver's HTTP client over undici: `Authorization: token …` to the Forgejo origin
 * only, manual redirects, secret-free errors and events, and a retry loop with jittered
 * backoff and a deadline.
 */
export class ForgejoHttp {
  readonly redactor: Redactor;
  readonly #config: ResolvedForgejoConfig;

  constructor(config: ResolvedForgejoConfig) {
    this.#config = config;
    this.redactor = new Redactor([config.token]);
  }

  /** A URL under the Forgejo root from raw path segments (each one percent-encoded). */
  url(segments: readonly string[], query: Readonly<Record<string, string | number>> = {}): URL {
    const url = new URL(segments.map((s) => encodeURIComponent(s)).join("/"), this.#config.baseUrl);
    for (const [key, value] of Object.entries(query)) url.searchParams.set(key, String(value));
    return url;
  }

  /** Reports an event to `onEvent`; an observer that throws is ignored. */
  emit(event: ForgejoEvent): void {
    try {
      this.#config.onEvent?.(event);
    } catch {
      // an observer's failure must not change the operation's outcome
    }
  }

  /** Sends one request, following redirects when asked; never throws. */
  async send(req: HttpRequest): Promise<HttpResponse | TransportFailure> {
    let url = req.url;
    let method: string = req.method;
    for (let hop = 0; ; hop++) {
      const sameOrigin = url.origin === this.#config.baseUrl.origin;
      const headers: Record<string, string> = {
        accept: "application/json, text/plain, */*",
        "user-agent": "backflip-driver-forgejo",
        ...req.headers,
        ...(sameOrigin ? { authorization: `token ${this.#config.token}` } : {}),
      };
      const sent = () =>
        ({ type: "request", op: req.op, method, url: this.redactor.url(url), attempt: req.attempt }) as const;
      let response: Dispatcher.ResponseData;
      try {
        response = await request(url, {
          method: method as Dispatcher.HttpMethod,
          headers,
          body:
            method === "GET" || req.body === undefined
              ? null
              : typeof req.body === "string"
                ? req.body
                : Readable.from(req.body, { objectMode: false }),
          headersTimeout: this.#config.headersTimeoutMs,
          bodyTimeout: this.#config.bodyTimeoutMs,
          ...(this.#config.dispatcher ? { dispatcher: this.#config.dispatcher } : {}),
          ...(req.signal ? { signal: req.signal } : {}),
        });
      } catch (error) {
        const failure = transportFailure(error, this.redactor, req.signal);
        this.emit({ ...sent(), error: failure.code });
        return failure;
      }
      this.emit({ ...sent(), status: response.statusCode });
      const location = response.headers.location;
      if (!req.followRedirects || !REDIRECTS.has(response.statusCode) || typeof location !== "string") {
        return {
          kind: "response",
          status: response.statusCode,
          headers: response.headers,
          body: response.body,
          url,
        };
      }
      await response.body.dump();
      if (hop >= MAX_REDIRECTS) {
        return {
          kind: "transport",
          code: "TOO_MANY_REDIRECTS",
          message: `more than ${MAX_REDIRECTS} redirects`,
          timeout: false,
          aborted: false,
          tls: false,
          notSent: false,
          transient: false,
          cause: { name: "Error", message: "too many redirects" },
        };
      }
      url = new URL(location, url);
      if (response.statusCode === 303) method = "GET";
      this.emit({
        type: "redirect",
        op: req.op,
        to: this.redactor.url(url),
        crossOrigin: url.origin !== this.#config.baseUrl.origin,
      });
    }
  }

  /** Reads a response body as secret-free text (at most `max` bytes kept). */
  async text(response: HttpResponse, max = 16_384): Promise<string> {
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const chunk of response.body) {
        if (size < max) chunks.push(Buffer.from(chunk as Uint8Array));
        size += (chunk as Uint8Array).length;
      }
    } catch {
      // a body cut short still yields what arrived
    }
    return this.redactor.text(Buffer.concat(chunks).toString("utf8").slice(0, max).trim());
  }

  /** Reads a JSON body; `undefined` when it does not parse. */
  async json(response: HttpResponse): Promise<unknown> {
    const chunks: Buffer[] = [];
    for await (const chunk of response.body) chunks.push(Buffer.from(chunk as Uint8Array));
    try {
      return JSON.parse(Buffer.concat(chunks).toString("utf8"));
    } catch {
      return undefined;
    }
  }

  /**
   * Turns a non-success HTTP response into a {@link DriverError}, keeping the server's
   * text (plain text from `/api/packages`, `{message}` JSON from `/api/v1`).
   */
  async statusError(op: string, method: string, response: HttpResponse, hint?: string): Promise<DriverError> {
    const raw = await this.text(response);
    const serverText = extractMessage(raw);
    return this.httpError(op, method, response.url, response.status, serverText, hint);
  }

  /** Builds the {@link DriverError} for an HTTP status and the server's (redacted) text. */
  httpError(
    op: string,
    method: string,
    url: URL,
    status: number,
    serverText: string,
    hint?: string,
  ): DriverError {
    const reason = reasonForStatus(status, serverText);
    const where = `${method} ${this.redactor.url(url)}`;
    const text = serverText ? `: ${this.redactor.text(serverText, 1_000)}` : "";
    const defaultHint = limitHint(status, serverText) ?? DEFAULT_HINTS[reason];
    const h = hint ?? defaultHint;
    return driverError({
      driver: DRIVER,
      op,
      reason,
      message: `${where} answered ${status}${text}`,
      ...(h ? { hint: h } : {}),
      details: { status, method, url: this.redactor.url(url) },
    });
  }

  /** Builds the {@link DriverError} for a request that got no response. */
  transportError(
    op: string,
    method: string,
    url: URL,
    failure: TransportFailure,
    hint?: string,
  ): DriverError {
    const reason: DriverErrorReason = failure.aborted
      ? "aborted"
      : failure.timeout
        ? "timeout"
        : "unavailable";
    const h =
      hint ??
      (failure.tls
        ? "TLS verification failed: give the server's CA with the `ca` option (verification stays on)"
        : DEFAULT_HINTS[reason]);
    return driverError({
      driver: DRIVER,
      op,
      reason,
      message: `${method} ${this.redactor.url(url)} failed: ${failure.message}`,
      ...(h ? { hint: h } : {}),
      details: { code: failure.code, method, url: this.redactor.url(url) },
      cause: failure.cause,
    });
  }

  /** {@link transportError} as an attempt's outcome: retried when the failure is transient. */
  transportAttempt(
    op: string,
    method: string,
    url: URL,
    failure: TransportFailure,
    hint?: string,
  ): FailedAttempt {
    return {
      ok: false,
      error: this.transportError(op, method, url, failure, hint),
      retryable: failure.transient,
    };
  }

  /** {@link statusError} as an attempt's outcome: a 5xx or 429 is retried, after its `Retry-After` if any. */
  async statusAttempt(
    op: string,
    method: string,
    response: HttpResponse,
    hint?: string,
  ): Promise<FailedAttempt> {
    const after = retryAfterMs(response.status, response.headers);
    return {
      ok: false,
      error: await this.statusError(op, method, response, hint),
      retryable: response.status >= 500 || response.status === 429,
      ...(after === undefined ? {} : { retryAfterMs: after }),
    };
  }

  /** Runs `work`; a throw (a bug, never an expected failure) becomes a secret-free `failed` error of `op`. */
  guarded<T>(op: string, work: () => Promise<Result<T, DriverError>>): ResultAsync<T, DriverError> {
    return ResultAsync.fromPromise(work(), (error) =>
      driverError({
        driver: DRIVER,
        op,
        reason: "failed",
        message: `unexpected failure: ${this.redactor.cause(error).message}`,
        cause: this.redactor.cause(error),
      }),
    ).andThen((result) => result);
  }

  /**
   * Runs `attempt` until it succeeds, fails for good, runs out of attempts, or the next
   * try would start after the deadline (the policy's, or the caller's `deadlineAt` when
   * sooner). Retries only what `attempt` marks retryable, waiting the server's
   * `Retry-After` when it sent one, else a jittered backoff.
   */
  async retrying<T>(
    op: string,
    attempt: (n: number) => Promise<Attempt<T>>,
    signal?: AbortSignal,
    deadlineAt?: number,
  ): Promise<Result<T, DriverError>> {
    const policy = this.#config.retry;
    const deadline = Math.min(Date.now() + policy.deadlineMs, deadlineAt ?? Number.POSITIVE_INFINITY);
    for (let n = 1; ; n++) {
      const outcome = await attempt(n);
      if (outcome.ok) return ok(outcome.value);
      const error = outcome.error;
      const asked = outcome.retryAfterMs;
      const delay = asked ?? backoffDelay(policy, n);
      const pastDeadline = Date.now() + delay > deadline;
      if (!outcome.retryable || n >= policy.attempts || pastDeadline || signal?.aborted) {
        const late = outcome.retryable && pastDeadline;
        const details = {
          ...error.details,
          attempts: n,
          ...(late ? { deadlineMs: policy.deadlineMs } : {}),
          ...(asked === undefined ? {} : { retryAfterMs: asked }),
        };
        const message =
          late && asked !== undefined
            ? `${error.message} (it asked for Retry-After ${Math.ceil(asked / 1_000)} s, past the deadline)`
            : error.message;
        return err({ ...error, message, details });
      }
      this.emit({
        type: "retry",
        op,
        attempt: n,
        delayMs: delay,
        reason: String(error.details?.status ?? error.details?.code ?? error.reason),
      });
      try {
        await sleep(delay, undefined, signal ? { signal } : undefined);
      } catch {
        return err({ ...error, reason: "aborted", details: { ...error.details, attempts: n } });
      }
    }
  }

  /**
   * A retried GET answering JSON. `404` becomes `null` when `notFoundIsNull`; other
   * non-2xx answers become errors (5xx retried).
   */
  async getJson(
    op: string,
    url: URL,
    options: { notFoundIsNull?: boolean; hint?: string; signal?: AbortSignal; deadlineAt?: number } = {},
  ): Promise<Result<{ data: unknown; headers: HttpResponse["headers"] } | null, DriverError>> {
    const { signal } = options;
    return this.retrying(
      op,
      async (n) => {
        const res = await this.send({ op, method: "GET", url, attempt: n, ...(signal ? { signal } : {}) });
        if (res.kind === "transport") {
          return this.transportAttempt(op, "GET", url, res, options.hint);
        }
        if (res.status === 404 && options.notFoundIsNull) {
          await res.body.dump();
          return { ok: true, value: null };
        }
        if (res.status < 200 || res.status > 299) {
          return this.statusAttempt(op, "GET", res, options.hint);
        }
        try {
          const data = await this.json(res);
          if (data === undefined) {
            return failedAttempt(
              op,
              `GET ${this.redactor.url(url)} answered ${res.status} with a body that is not JSON`,
              CHECK_BASE_URL,
            );
          }
          return { ok: true, value: { data, headers: res.headers } };
        } catch (error) {
          const failure = transportFailure(error, this.redactor);
          return this.transportAttempt(op, "GET", url, failure, options.hint);
        }
      },
      signal,
      options.deadlineAt,
    );
  }
}
