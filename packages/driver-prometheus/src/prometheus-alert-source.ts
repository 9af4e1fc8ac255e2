import { type AlertQuery, type AlertSource, type DriverError, driverError } from "@backflip/core";
import {
  freeTextSchema,
  hasUnsafeChars,
  httpUrlSchema,
  lazySchema,
  parseInput,
} from "@backflip/core/driver-kit";
import { errAsync, okAsync, ResultAsync } from "neverthrow";
import { Agent, type Dispatcher, request } from "undici";
import * as z from "zod";

const DRIVER = "prometheus";

/** Options for {@link PrometheusAlertSource}. */
export interface PrometheusOptions {
  /**
   * Base URL, e.g. `http://127.0.0.1:9090` or `https://ops.example.org/prometheus` (the
   * sub-path is kept). No credentials (give them as `auth`), query or fragment.
   */
  readonly baseUrl: string;
  /** Bearer token or basic credentials; never logged or put in errors. */
  readonly auth?: { readonly bearer: string } | { readonly username: string; readonly password: string };
  /** PEM CA for HTTPS with a private CA (verification always stays on). */
  readonly ca?: string;
  /** Per-request timeout in milliseconds (default 5000). */
  readonly requestTimeoutMs?: number;
}

/** A credential carried in a header: not empty, no control, bidi or line-separator character (never quoted). */
const credential = lazySchema(() =>
  z
    .string()
    .min(1, "expected a credential")
    .refine((s) => !hasUnsafeChars(s), "holds a control, bidi or line-separator character"),
);

/** `auth`: a bearer token, or basic credentials whose user name has no ':' (it ends the name in the header). */
const authSchema = lazySchema(() =>
  z.union([
    z.object({ bearer: credential }).strict(),
    z
      .object({
        username: freeTextSchema(256).refine((u) => !u.includes(":"), "a basic-auth user name has no ':'"),
        password: credential,
      })
      .strict(),
  ]),
);

const optionsSchema = lazySchema(() =>
  z.object({
    baseUrl: httpUrlSchema,
    auth: authSchema.optional(),
    requestTimeoutMs: z.number().int().positive().optional(),
  }),
);

const querySchema = lazySchema(() =>
  z.object({
    name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "expected an alert name"),
    labels: z.record(z.string(), z.string()).optional(),
  }),
);

/** One alert as `/api/v1/alerts` lists it. */
export interface PrometheusAlert {
  readonly labels: Readonly<Record<string, string>>;
  readonly state: "firing" | "pending" | "inactive";
  readonly activeAt?: string;
  readonly value?: string;
}

/** One sample of an instant-query vector. */
export interface Sample {
  readonly metric: Readonly<Record<string, string>>;
  readonly value: number;
}

const alertsBody = lazySchema(() =>
  z.object({
    status: z.literal("success"),
    data: z.object({
      alerts: z.array(
        z.object({
          labels: z.record(z.string(), z.string()),
          state: z.enum(["firing", "pending", "inactive"]),
          activeAt: z.string().optional(),
          value: z.string().optional(),
        }),
      ),
    }),
  }),
);

const queryBody = lazySchema(() =>
  z.object({
    status: z.literal("success"),
    data: z.object({
      resultType: z.string(),
      result: z.array(
        z.object({ metric: z.record(z.string(), z.string()), value: z.tuple([z.number(), z.string()]) }),
      ),
    }),
  }),
);

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    });
  });

/**
 * An `AlertSource` over Prometheus's HTTP API (undici): `/api/v1/alerts` for firing
 * alerts, `/api/v1/query` for expressions. An unreachable server is `unavailable` —
 * never reported as "cleared".
 */
export class PrometheusAlertSource implements AlertSource {
  readonly name = DRIVER;
  readonly #options: PrometheusOptions;
  /** The base URL with its path ending in `/`, so API paths resolve below it. */
  readonly #base: URL;
  readonly #dispatcher: Dispatcher | undefined;

  private constructor(options: PrometheusOptions) {
    this.#options = options;
    this.#base = new URL(options.baseUrl);
    if (!this.#base.pathname.endsWith("/")) this.#base.pathname = `${this.#base.pathname}/`;
    this.#dispatcher = options.ca ? new Agent({ connect: { ca: options.ca } }) : undefined;
  }

  /** Validates the options; `invalid_input` names the bad field. */
  static create(options: PrometheusOptions): ResultAsync<PrometheusAlertSource, DriverError> {
    const parsed = parseInput(optionsSchema, options, { driver: DRIVER, op: "create" });
    return parsed.isErr() ? errAsync(parsed.error) : okAsync(new PrometheusAlertSource(options));
  }

  /** All alerts Prometheus currently reports (pending and firing). */
  alerts(): ResultAsync<PrometheusAlert[], DriverError> {
    return this.#get("alerts", "api/v1/alerts", alertsBody).map((body) => body.data.alerts);
  }

  /** Evaluates an instant query and returns its vector. */
  evaluate(expr: string): ResultAsync<Sample[], DriverError> {
    if (!expr.trim())
      return errAsync(
        driverError({ driver: DRIVER, op: "evaluate", reason: "invalid_input", message: "empty expression" }),
      );
    return this.#get("evaluate", `api/v1/query?query=${encodeURIComponent(expr)}`, queryBody).andThen(
      (body) =>
        body.data.resultType === "vector"
          ? okAsync(body.data.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) })))
          : errAsync(
              driverError({
                driver: DRIVER,
                op: "evaluate",
                reason: "unsupported",
                message: `expected a vector, got ${body.data.resultType}`,
              }),
            ),
    );
  }

  /** True when an alert with this name and these labels is firing (pending does not count). */
  isFiring(query: AlertQuery): ResultAsync<boolean, DriverError> {
    const parsed = parseInput(querySchema, query, { driver: DRIVER, op: "isFiring" });
    if (parsed.isErr()) return errAsync(parsed.error);
    const wanted = { ...query.labels, alertname: query.name };
    return this.alerts().map((alerts) =>
      alerts.some((a) => a.state === "firing" && Object.entries(wanted).every(([k, v]) => a.labels[k] === v)),
    );
  }

  /** Polls until no matching alert fires; `timeout` at the deadline, `unavailable` if Prometheus stays unreachable. */
  waitUntilCleared(
    query: AlertQuery,
    options: { deadlineMs: number; pollMs?: number; signal?: AbortSignal },
  ): ResultAsync<void, DriverError> {
    const deadline = Date.now() + options.deadlineMs;
    const poll = options.pollMs ?? 1000;
    const loop = (): ResultAsync<void, DriverError> =>
      this.isFiring(query).andThen((firing) => {
        if (!firing) return okAsync(undefined);
        if (options.signal?.aborted)
          return errAsync(
            driverError({ driver: DRIVER, op: "waitUntilCleared", reason: "aborted", message: "aborted" }),
          );
        if (Date.now() + poll > deadline)
          return errAsync(
            driverError({
              driver: DRIVER,
              op: "waitUntilCleared",
              reason: "timeout",
              message: `${query.name} still firing after ${options.deadlineMs} ms`,
              hint: "the next successful deploy resets last_success_timestamp > last_failure_timestamp",
            }),
          );
        return ResultAsync.fromSafePromise(sleep(poll, options.signal)).andThen(loop);
      });
    return loop();
  }

  #headers(): Record<string, string> {
    const auth = this.#options.auth;
    if (!auth) return {};
    if ("bearer" in auth) return { authorization: `Bearer ${auth.bearer}` };
    return { authorization: `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString("base64")}` };
  }

  #get<T>(op: string, path: string, schema: z.ZodType<T>): ResultAsync<T, DriverError> {
    const url = new URL(path, this.#base).toString();
    const timeout = this.#options.requestTimeoutMs ?? 5000;
    const fail = (reason: DriverError["reason"], message: string, details?: Record<string, unknown>) =>
      driverError({ driver: DRIVER, op, reason, message, ...(details ? { details } : {}) });
    const unreachable = (cause: unknown) => {
      const code = (cause as { code?: string }).code ?? (cause as Error).name;
      return fail(
        "unavailable",
        `Prometheus at ${this.#base.origin}${this.#base.pathname} cannot be reached (${code}); the alert state is unknown`,
        { code },
      );
    };
    const send = async () => {
      const res = await request(url, {
        method: "GET",
        headers: this.#headers(),
        headersTimeout: timeout,
        bodyTimeout: timeout,
        ...(this.#dispatcher ? { dispatcher: this.#dispatcher } : {}),
      });
      return { status: res.statusCode, text: await res.body.text() };
    };
    return ResultAsync.fromPromise(send(), unreachable).andThen(({ status, text }) => {
      const excerpt = text.slice(0, 300);
      if (status === 401 || status === 403)
        return errAsync(
          fail("unauthorized", `Prometheus answered ${status}: check the credentials`, { status }),
        );
      if (status === 400 || status === 422)
        return errAsync(fail("invalid_input", `Prometheus rejected the request: ${excerpt}`, { status }));
      if (status >= 500)
        return errAsync(fail("unavailable", `Prometheus answered ${status}: ${excerpt}`, { status }));
      if (status !== 200) return errAsync(fail("failed", `Prometheus answered ${status}`, { status }));
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        return errAsync(fail("failed", "Prometheus answered with a body that is not JSON"));
      }
      const parsed = schema.safeParse(json);
      return parsed.success
        ? okAsync(parsed.data)
        : errAsync(fail("failed", `unexpected answer from Prometheus: ${parsed.error.issues[0]?.message}`));
    });
  }
}
