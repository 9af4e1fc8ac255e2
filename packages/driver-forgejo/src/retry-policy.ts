/**
 * When and how long to retry an idempotent request (5xx, connection resets, timeouts;
 * never a 4xx). Delays grow exponentially with full jitter; no new attempt starts after
 * the deadline.
 */
export interface RetryPolicy {
  /** Attempts in total, the first included. Default 4. */
  readonly attempts: number;
  /** The first backoff's upper bound (ms). Default 200. */
  readonly baseDelayMs: number;
  /** The largest backoff (ms). Default 5 000. */
  readonly maxDelayMs: number;
  /** No attempt starts later than this after the first one (ms). Default 60 000. */
  readonly deadlineMs: number;
}

/** The default {@link RetryPolicy}. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  attempts: 4,
  baseDelayMs: 200,
  maxDelayMs: 5_000,
  deadlineMs: 60_000,
};

/** The jittered delay before attempt `attempt + 1` (attempt counts from 1). */
export function backoffDelay(
  policy: RetryPolicy,
  attempt: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(random() * ceiling);
}
