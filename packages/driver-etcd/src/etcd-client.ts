import type { DriverError } from "@backflip/core";
import { err, errAsync, ok, okAsync, ResultAsync } from "neverthrow";
import { Agent, type Dispatcher, request } from "undici";
import { etcdError } from "./etcd-error";

/** A key-value as the JSON gateway returns it (int64 fields are decimal strings). */
export interface EtcdKv {
  readonly key: string;
  readonly value?: string;
  readonly create_revision?: string;
  readonly mod_revision?: string;
  readonly lease?: string;
}

/** The header every response carries. */
export interface EtcdHeader {
  readonly revision?: string;
}

/** `/v3/kv/range`'s answer. */
export interface RangeResponse {
  readonly header?: EtcdHeader;
  readonly kvs?: readonly EtcdKv[];
}

/** One operation's answer inside a transaction. */
export interface TxnOpResponse {
  readonly response_range?: RangeResponse;
  readonly response_put?: { readonly header?: EtcdHeader };
  readonly response_delete_range?: { readonly deleted?: string };
}

/** `/v3/kv/txn`'s answer (`succeeded` is left out when false). */
export interface TxnResponse {
  readonly header?: EtcdHeader;
  readonly succeeded?: boolean;
  readonly responses?: readonly TxnOpResponse[];
}

/** One comparison of a transaction (keys base64). */
export type Compare =
  | { key: string; target: "CREATE"; result: "EQUAL" | "GREATER"; create_revision: string }
  | { key: string; target: "MOD"; result: "EQUAL"; mod_revision: string };

/** One operation of a transaction (keys and values base64). */
export type TxnOp =
  | { request_range: { key: string; range_end?: string } }
  | { request_put: { key: string; value: string; lease?: string; ignore_lease?: boolean } }
  | { request_delete_range: { key: string; range_end?: string } };

/** A transaction: `success` runs when every comparison holds, `failure` otherwise. */
export interface Txn {
  compare: Compare[];
  success: TxnOp[];
  failure: TxnOp[];
}

/** Options of {@link EtcdClient}. */
export interface EtcdClientOptions {
  /** The cluster's client URLs, e.g. `http://127.0.0.1:2379`; tried in turn when one fails. */
  readonly endpoints: readonly string[];
  /** Budget of one request to one member, in milliseconds. */
  readonly requestTimeoutMs: number;
}

/** gRPC status codes the gateway passes on that mean "try another member". */
const RETRY_CODES = new Set([4, 14]);

/** Messages of a member that cannot serve right now (no leader, lost quorum, stopping). */
const RETRY_MESSAGE = /no leader|timed out|unavailable|stopped|not capable|leader changed|too many requests/i;

interface Attempt {
  readonly endpoint: string;
  readonly problem: string;
  readonly retry: boolean;
}

/**
 * A minimal etcd v3 client over the JSON gateway (`POST /v3/…`, keys and values base64)
 * with undici. Each request goes to the member that answered last; a member that is
 * down, cut off or without a leader is skipped for the next one, until every member
 * was tried once. A request that timed out may still have been applied: callers make
 * their writes safe to retry (they recognise their own earlier write).
 */
export class EtcdClient {
  readonly #endpoints: readonly string[];
  readonly #timeoutMs: number;
  readonly #agent: Dispatcher;
  #preferred = 0;

  /** A client of the cluster whose members answer at `options.endpoints`. */
  constructor(options: EtcdClientOptions) {
    this.#endpoints = options.endpoints.map((e) => e.replace(/\/+$/, ""));
    this.#timeoutMs = options.requestTimeoutMs;
    this.#agent = new Agent({ connect: { timeout: options.requestTimeoutMs }, keepAliveTimeout: 30_000 });
  }

  /** Reads `key`, or every key in `[key, rangeEnd)` (base64). */
  range(
    op: string,
    key: string,
    rangeEnd?: string,
    keysOnly = false,
  ): ResultAsync<RangeResponse, DriverError> {
    return this.#post(op, "/v3/kv/range", {
      key,
      ...(rangeEnd ? { range_end: rangeEnd } : {}),
      ...(keysOnly ? { keys_only: true } : {}),
    });
  }

  /** Runs a transaction. */
  txn(op: string, txn: Txn): ResultAsync<TxnResponse, DriverError> {
    return this.#post(op, "/v3/kv/txn", txn);
  }

  /** Grants a server-side lease of `ttlSeconds`; returns its id. */
  grant(op: string, ttlSeconds: number): ResultAsync<string, DriverError> {
    return this.#post<{ ID?: string }>(op, "/v3/lease/grant", { TTL: String(ttlSeconds) }).andThen((body) =>
      body.ID
        ? okAsync(body.ID)
        : errAsync(etcdError(op, "failed", "etcd granted no lease (no ID in its answer)")),
    );
  }

  /** Refreshes lease `id`; returns its granted TTL in seconds, 0 when the lease is gone. */
  keepAlive(op: string, id: string): ResultAsync<number, DriverError> {
    return this.#post<{ result?: { TTL?: string } }>(op, "/v3/lease/keepalive", { ID: id }).map((body) =>
      Number(body.result?.TTL ?? 0),
    );
  }

  /** Revokes lease `id` (and deletes its keys); a lease already gone is fine. */
  revoke(op: string, id: string): ResultAsync<void, DriverError> {
    return this.#post(op, "/v3/lease/revoke", { ID: id })
      .map(() => undefined)
      .orElse((error) => (error.reason === "not_found" ? okAsync(undefined) : errAsync(error)));
  }

  /** Closes the client's connections. */
  close(): Promise<void> {
    return this.#agent.close();
  }

  #post<T>(op: string, path: string, body: unknown): ResultAsync<T, DriverError> {
    return new ResultAsync(
      this.#tryEach(path, JSON.stringify(body)).then((outcome) =>
        "value" in outcome ? ok(outcome.value as T) : err(this.#failure(op, path, outcome.attempts)),
      ),
    );
  }

  async #tryEach(path: string, body: string): Promise<{ value: unknown } | { attempts: Attempt[] }> {
    const attempts: Attempt[] = [];
    for (let i = 0; i < this.#endpoints.length; i++) {
      const index = (this.#preferred + i) % this.#endpoints.length;
      const endpoint = this.#endpoints[index]!;
      const answer = await this.#once(endpoint, path, body);
      if ("value" in answer) {
        this.#preferred = index;
        return answer;
      }
      attempts.push(answer);
      if (!answer.retry) break;
    }
    return { attempts };
  }

  async #once(endpoint: string, path: string, body: string): Promise<{ value: unknown } | Attempt> {
    try {
      const response = await request(`${endpoint}${path}`, {
        method: "POST",
        body,
        headers: { "content-type": "application/json" },
        dispatcher: this.#agent,
        signal: AbortSignal.timeout(this.#timeoutMs),
        headersTimeout: this.#timeoutMs,
        bodyTimeout: this.#timeoutMs,
      });
      const text = await response.body.text();
      let parsed: { error?: string; message?: string; code?: number } & Record<string, unknown>;
      try {
        parsed = JSON.parse(text);
      } catch {
        return {
          endpoint,
          problem: `HTTP ${response.statusCode}, not JSON`,
          retry: response.statusCode >= 500,
        };
      }
      const message = parsed.error ?? parsed.message;
      if (response.statusCode === 200 && !message) return { value: parsed };
      const code = typeof parsed.code === "number" ? parsed.code : -1;
      return {
        endpoint,
        problem: `${String(message ?? `HTTP ${response.statusCode}`).slice(0, 200)} (code ${code})`,
        retry: RETRY_CODES.has(code) || RETRY_MESSAGE.test(String(message)),
      };
    } catch (cause) {
      const error = cause as { name?: string; code?: string; message?: string };
      const problem =
        error.name === "TimeoutError" || error.name === "AbortError"
          ? `no answer within ${this.#timeoutMs} ms`
          : (error.code ?? error.message ?? "request failed");
      return { endpoint, problem, retry: true };
    }
  }

  #failure(op: string, path: string, attempts: Attempt[]): DriverError {
    const last = attempts.at(-1);
    const tried = attempts.map((a) => `${a.endpoint}: ${a.problem}`).join("; ");
    if (last && !last.retry) {
      const notFound = /not found/i.test(last.problem);
      return etcdError(op, notFound ? "not_found" : "failed", `etcd refused ${path}: ${last.problem}`, {
        details: { endpoint: last.endpoint },
      });
    }
    return etcdError(op, "unavailable", `no etcd member answered ${path} (${tried})`, {
      hint: "the etcd cluster has no reachable quorum: check its members (etcdctl endpoint health); a run stops at its next safe point — resume or revert it once the cluster has quorum again",
      details: { endpoints: attempts.map((a) => a.endpoint) },
    });
  }
}
