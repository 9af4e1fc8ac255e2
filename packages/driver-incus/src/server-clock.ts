import { performance } from "node:perf_hooks";

/**
 * The Incus server's clock as this process sees it: every response's HTTP `Date` header
 * (whole seconds) bounds the offset between server time and the local monotonic clock,
 * and `now()` is the local monotonic time plus the largest lower bound seen so far. The
 * local wall clock is never read, so a laptop whose clock is off does not judge leases
 * differently from the others.
 *
 * Skew assumption: the estimate is never ahead of the server and lags it by at most
 * 1 s (the header's resolution) plus one round trip, shrinking as responses straddle
 * second boundaries. Two clients can therefore disagree about an expiry by about a
 * second: lease time-to-lives must be well above that (the runner's default is 60 s).
 */
export class ServerClock {
  /** Lower bound of server epoch ms minus local monotonic ms. */
  #offset: number | undefined;

  /** Takes a response's `Date` header, received at local monotonic time `receivedAt`. */
  observe(date: unknown, sentAt: number, receivedAt: number): void {
    const server = typeof date === "string" ? Date.parse(date) : Number.NaN;
    if (Number.isNaN(server)) return;
    const lower = server - receivedAt;
    const upper = server + 1000 - sentAt;
    // A server clock set back (upper bound below what we knew) starts the estimate over.
    if (this.#offset === undefined || lower > this.#offset || upper < this.#offset) this.#offset = lower;
  }

  /** The server's time in epoch ms, or `undefined` before any response carried a `Date`. */
  now(): number | undefined {
    return this.#offset === undefined ? undefined : performance.now() + this.#offset;
  }
}

/** The local monotonic clock the {@link ServerClock} counts with. */
export function monotonicNow(): number {
  return performance.now();
}
