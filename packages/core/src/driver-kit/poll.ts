import { errAsync, okAsync, ResultAsync } from "neverthrow";
import type { DriverError } from "../errors/driver-error";

/** How long to wait before attempt `attempt` (1 = the second read), `elapsedMs` after the first. */
export type Backoff = (attempt: number, elapsedMs: number) => number;

/** Every 5 ms for the first second (most waits end in tens of ms), then every 50 ms. */
export const DEFAULT_BACKOFF: Backoff = (_attempt, elapsedMs) => (elapsedMs < 1000 ? 5 : 50);

/** What {@link poll} tells each read: which attempt it is and the time left before the deadline. */
export interface PollAttempt {
  /** 1 for the first read. */
  readonly attempt: number;
  /** Milliseconds until the deadline (0 or less once it has passed), e.g. to cap the read's own timeout. */
  readonly remainingMs: number;
}

/** Options of {@link poll}: what to read, when it is done, and for how long. */
export interface PollOptions<T> {
  /** One attempt. */
  readonly read: (attempt: PollAttempt) => ResultAsync<T, DriverError>;
  /** True when a read value ends the wait. */
  readonly done: (value: T) => boolean;
  /** Give up this many milliseconds after the first read (one of `timeoutMs` or `deadlineMs`). */
  readonly timeoutMs?: number;
  /** Give up at this time (epoch milliseconds). */
  readonly deadlineMs?: number;
  /** The pause before each next attempt (default {@link DEFAULT_BACKOFF}); never past the deadline. */
  readonly backoff?: Backoff;
  /** Stops the wait: the result is `aborted`. */
  readonly signal?: AbortSignal;
  /** Give up after this many reads (result `exhausted`), even before the deadline. Default: no limit. */
  readonly maxAttempts?: number;
  /**
   * Whether a pause that ends at the deadline is followed by one last read (default true:
   * a confirm loop's last look). False ends the wait there with `timeout`.
   */
  readonly readAtDeadline?: boolean;
  /** Errors worth reading again (e.g. `unavailable` while a proxy reloads); any other error ends the wait. Default: none. */
  readonly retryOn?: (error: DriverError) => boolean;
}

/** Why a {@link poll} ended without a value that was done. */
export type PollFailure<T> =
  /** A read failed with an error not worth retrying. */
  | { readonly kind: "error"; readonly error: DriverError }
  /** The deadline passed: the last value read, or the last (retried) error. */
  | {
      readonly kind: "timeout";
      readonly elapsedMs: number;
      readonly attempts: number;
      readonly last: { readonly value: T } | { readonly error: DriverError } | null;
    }
  /** `maxAttempts` reads were made before the deadline, none done: the last value or (retried) error. */
  | {
      readonly kind: "exhausted";
      readonly elapsedMs: number;
      readonly attempts: number;
      readonly last: { readonly value: T } | { readonly error: DriverError };
    }
  /** The signal fired after `attempts` reads. */
  | { readonly kind: "aborted"; readonly attempts: number };

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });

/**
 * Reads until `done` holds, an error not in `retryOn` comes back, the deadline passes or
 * the signal fires (or `maxAttempts` reads are made): the wait behind every confirm loop
 * (a reload is asynchronous: the new workers answer only once they are up), health probe
 * and lab wait. Always reads at least once.
 */
export function poll<T>(options: PollOptions<T>): ResultAsync<T, PollFailure<T>> {
  const { read, done, signal } = options;
  const backoff = options.backoff ?? DEFAULT_BACKOFF;
  const retryOn = options.retryOn ?? (() => false);
  const maxAttempts = options.maxAttempts ?? Number.POSITIVE_INFINITY;
  const run = async (): Promise<{ ok: T } | { failure: PollFailure<T> }> => {
    const started = Date.now();
    const deadline = options.deadlineMs ?? started + (options.timeoutMs ?? 0);
    let last: { value: T } | { error: DriverError } | null = null;
    // Set once a pause was cut at the deadline: the deadline has come even when the timer
    // fired a millisecond before the wall clock reached it.
    let deadlineReached = false;
    for (let attempt = 1; ; attempt++) {
      if (signal?.aborted) return { failure: { kind: "aborted", attempts: attempt - 1 } };
      if (attempt > 1 && options.readAtDeadline === false && (deadlineReached || Date.now() >= deadline)) {
        const elapsedMs = Date.now() - started;
        return { failure: { kind: "timeout", elapsedMs, attempts: attempt - 1, last } };
      }
      const result = await read({ attempt, remainingMs: deadline - Date.now() });
      let latest: { value: T } | { error: DriverError };
      if (result.isOk()) {
        if (done(result.value)) return { ok: result.value };
        latest = { value: result.value };
      } else {
        if (!retryOn(result.error)) return { failure: { kind: "error", error: result.error } };
        latest = { error: result.error };
      }
      last = latest;
      const now = Date.now();
      if (deadlineReached || now >= deadline) {
        return { failure: { kind: "timeout", elapsedMs: now - started, attempts: attempt, last } };
      }
      if (attempt >= maxAttempts) {
        return { failure: { kind: "exhausted", elapsedMs: now - started, attempts: attempt, last: latest } };
      }
      const pause = Math.max(0, Math.min(backoff(attempt, now - started), deadline - now));
      deadlineReached = pause >= deadline - now;
      await sleep(pause, signal);
    }
  };
  return ResultAsync.fromSafePromise(run()).andThen((outcome) =>
    "ok" in outcome ? okAsync(outcome.ok) : errAsync(outcome.failure),
  );
}
