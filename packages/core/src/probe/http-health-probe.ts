import { performance } from "node:perf_hooks";
import { err, errAsync, ok, okAsync, type Result, ResultAsync } from "neverthrow";
import type { Dispatcher } from "undici";
import * as z from "zod";
import { poll } from "../driver-kit/poll";
import { type DriverError, driverError } from "../errors/driver-error";
import type { HealthProbe, ProbeRequest, ProbeResult } from "../ports/health-probe";
import { lazySchema } from "../validate/lazy-schema";
import { parseInput } from "../validate/parse-input";
import { displayUrl } from "./display-url";
import { probeRequestSchema } from "./probe-request-schema";

const DRIVER = "http-probe";
/** Bytes of the body kept in a {@link ProbeResult}. */
const BODY_KEPT = 4096;
/** Bytes of the body searched for `bodyIncludes`. */
const BODY_SEARCHED = 1024 * 1024;
/** Characters of the body quoted in a failure message. */
const BODY_IN_MESSAGE = 200;

/** Options of an {@link HttpHealthProbe}. */
export interface HttpHealthProbeOptions {
  /** Name in messages and events (default `http`). */
  readonly name?: string;
  /** Extra CA certificates (PEM) trusted for https, e.g. an internal CA. Verification always stays on. */
  readonly ca?: string | readonly string[];
}

const optionsSchema = lazySchema(() =>
  z.object({
    name: z.string().min(1).optional(),
    ca: z
      .union(
        [z.string().includes("BEGIN CERTIFICATE"), z.array(z.string().includes("BEGIN CERTIFICATE")).min(1)],
        {
          error: "ca must be PEM certificate text (or a list of them)",
        },
      )
      .optional(),
  }),
);

/** How one attempt failed. */
type Failure =
  | { readonly kind: "status"; readonly status: number; readonly body: string }
  | { readonly kind: "body"; readonly status: number; readonly body: string }
  | { readonly kind: "no_answer"; readonly afterMs: number }
  | { readonly kind: "network"; readonly code: string | undefined; readonly message: string };

type Attempt =
  | { readonly pass: true; readonly status: number; readonly body: string }
  | { readonly pass: false; readonly failure: Failure };

/**
 * A {@link HealthProbe} over HTTP(S) with undici: a GET per attempt on a fresh
 * connection (so a reloaded proxy is really asked again), a per-attempt timeout, a
 * pause between attempts and an overall deadline. TLS verification stays on; pass a CA
 * for an internal one. Header values never appear in errors.
 */
export class HttpHealthProbe implements HealthProbe {
  /** Name in messages and events. */
  readonly name: string;
  readonly #options: Result<z.output<typeof optionsSchema>, DriverError>;
  #dispatcher: Promise<Dispatcher | undefined> | undefined;

  /** Builds a probe; bad options make every `check` return `invalid_input`. */
  constructor(options: HttpHealthProbeOptions = {}) {
    this.name = typeof options.name === "string" && options.name !== "" ? options.name : "http";
    this.#options = parseInput(optionsSchema, options, { driver: DRIVER, op: "options" });
  }

  /** Checks `request.url` until it passes, the attempts run out (`failed`) or the deadline passes (`timeout`). */
  check(request: ProbeRequest): ResultAsync<ProbeResult, DriverError> {
    const parsed = this.#options.andThen((options) =>
      parseInput(probeRequestSchema, request, {
        driver: DRIVER,
        op: "check",
        hint: "fix the named field of the probe request",
      }).map((req) => ({ req, options })),
    );
    if (parsed.isErr()) return errAsync(parsed.error);
    const { req, options } = parsed.value;
    if (req.signal?.aborted) return errAsync(aborted(req.url, 0));
    return ResultAsync.fromSafePromise(this.#dispatcherFor(options.ca)).andThen((dispatcher) =>
      ResultAsync.fromSafePromise(probe(req, dispatcher)).andThen((r) => r),
    );
  }

  /** undici is loaded on first use, keeping `import('@backflip/core')` fast. */
  #dispatcherFor(ca: string | string[] | undefined): Promise<Dispatcher | undefined> {
    if (ca === undefined) return Promise.resolve(undefined);
    this.#dispatcher ??= import("undici").then(
      ({ Agent }) => new Agent({ connect: { ca, rejectUnauthorized: true } }),
    );
    return this.#dispatcher;
  }
}

type Request = z.output<typeof probeRequestSchema>;

async function probe(
  req: Request,
  dispatcher: Dispatcher | undefined,
): Promise<Result<ProbeResult, DriverError>> {
  const { request } = await import("undici");
  const attemptTimeoutMs = req.attemptTimeoutMs ?? 2000;
  const deadlineMs = req.deadlineMs ?? 10_000;
  const intervalMs = req.intervalMs ?? 200;
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  let attempts = 0;
  const outcome = await poll<Attempt>({
    read: ({ attempt: n, remainingMs }) => {
      attempts = n;
      const budget = Math.max(1, Math.min(attemptTimeoutMs, remainingMs));
      return ResultAsync.fromSafePromise(attempt(request, req, dispatcher, budget)).andThen((outcome) =>
        req.signal?.aborted ? errAsync(aborted(req.url, n)) : okAsync(outcome),
      );
    },
    done: (outcome) => outcome.pass,
    timeoutMs: deadlineMs,
    maxAttempts: req.attempts ?? 3,
    backoff: () => intervalMs,
    readAtDeadline: false,
    ...(req.signal ? { signal: req.signal } : {}),
  });
  if (outcome.isOk()) {
    // `done` holds only for a passing attempt; the other branch merely satisfies the types.
    const o = outcome.value;
    if (o.pass) return ok({ url: req.url, status: o.status, attempts, durationMs: elapsed(), body: o.body });
    return err(gaveUp(req, attempts, elapsed(), false, o.failure));
  }
  const failure = outcome.error;
  if (failure.kind === "error") return err(failure.error);
  if (failure.kind === "aborted") return err(aborted(req.url, failure.attempts));
  const last =
    failure.last !== null && "value" in failure.last && !failure.last.value.pass
      ? failure.last.value.failure
      : undefined;
  return err(gaveUp(req, failure.attempts, elapsed(), failure.kind === "timeout", last));
}

async function attempt(
  request: typeof import("undici").request,
  req: Request,
  dispatcher: Dispatcher | undefined,
  budgetMs: number,
): Promise<Attempt> {
  const timeout = AbortSignal.timeout(budgetMs);
  const signal = req.signal ? AbortSignal.any([req.signal, timeout]) : timeout;
  try {
    const response = await request(req.url, {
      method: "GET",
      headers: req.headers ?? {},
      signal,
      // A fresh connection each time: a kept-alive one may still reach the old proxy process.
      reset: true,
      ...(dispatcher ? { dispatcher } : {}),
    });
    const body = await readBody(response.body);
    const status = response.statusCode;
    const statusOk =
      req.expectStatus === undefined ? status >= 200 && status < 300 : status === req.expectStatus;
    if (!statusOk) return { pass: false, failure: { kind: "status", status, body } };
    if (req.bodyIncludes !== undefined && !body.includes(req.bodyIncludes)) {
      return { pass: false, failure: { kind: "body", status, body } };
    }
    return { pass: true, status, body: body.slice(0, BODY_KEPT) };
  } catch (error) {
    if (timeout.aborted) return { pass: false, failure: { kind: "no_answer", afterMs: budgetMs } };
    const e = error as { code?: string; message?: string };
    return { pass: false, failure: { kind: "network", code: e.code, message: e.message ?? String(error) } };
  }
}

/** Reads up to {@link BODY_SEARCHED} bytes, then drops the connection. */
async function readBody(body: AsyncIterable<Buffer> & { destroy(): void }): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    chunks.push(chunk);
    size += chunk.length;
    if (size >= BODY_SEARCHED) {
      body.destroy();
      break;
    }
  }
  return Buffer.concat(chunks).subarray(0, BODY_SEARCHED).toString("utf8");
}

function aborted(url: string, attempts: number): DriverError {
  return driverError({
    driver: DRIVER,
    op: "check",
    reason: "aborted",
    message: `health check of ${displayUrl(url)} was aborted after ${attempts} attempt(s)`,
    details: { url: displayUrl(url), attempts },
  });
}

const TLS_CODES = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|HOSTNAME|ERR_TLS/;

function gaveUp(
  req: Request,
  attempts: number,
  durationMs: number,
  pastDeadline: boolean,
  last: Failure | undefined,
): DriverError {
  const url = displayUrl(req.url);
  const expected = req.expectStatus === undefined ? "2xx" : String(req.expectStatus);
  const why = pastDeadline ? `the ${req.deadlineMs ?? 10_000} ms deadline passed` : "no attempt passed";
  const tls = last?.kind === "network" && TLS_CODES.test(last.code ?? "");
  return driverError({
    driver: DRIVER,
    op: "check",
    reason: pastDeadline ? "timeout" : "failed",
    message: `health check of ${url} failed after ${attempts} attempt(s) in ${durationMs} ms (${why}); last: ${describeFailure(last, expected, req.bodyIncludes)}`,
    hint: tls
      ? "TLS verification failed: trust the server's CA with the `ca` option (verification stays on)"
      : "the endpoint is not healthy: check the service and its logs before sending traffic to it",
    details: {
      url,
      attempts,
      durationMs,
      expectedStatus: expected,
      ...(last?.kind === "status" || last?.kind === "body" ? { status: last.status } : {}),
      ...(last?.kind === "network" ? { error: last.message, code: last.code } : {}),
    },
  });
}

function describeFailure(
  last: Failure | undefined,
  expected: string,
  bodyIncludes: string | undefined,
): string {
  if (last === undefined) return "no attempt was made";
  switch (last.kind) {
    case "status":
      return `HTTP ${last.status} (expected ${expected}), body ${quoteBody(last.body)}`;
    case "body":
      return `HTTP ${last.status} but the body lacks ${JSON.stringify(bodyIncludes)}, body ${quoteBody(last.body)}`;
    case "no_answer":
      return `no answer within ${last.afterMs} ms`;
    case "network":
      return `${last.message}${last.code && !last.message.includes(last.code) ? ` (${last.code})` : ""}`;
  }
}

function quoteBody(body: string): string {
  const text = body.trim();
  if (text === "") return "(empty)";
  return JSON.stringify(text.length > BODY_IN_MESSAGE ? `${text.slice(0, BODY_IN_MESSAGE)}…` : text);
}
