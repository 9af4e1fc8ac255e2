import { randomUUID } from "node:crypto";
import { errAsync, okAsync, type ResultAsync } from "neverthrow";
import type { DriverError } from "../errors/driver-error";
import type { Lease, LeaseLock, LeaseStatus } from "../ports/lease-lock";
import {
  heldError,
  isStale,
  lostError,
  newLease,
  notLockedError,
  parseAcquire,
  parseLease,
  parseLockKey,
  parseRenew,
} from "./lease-input";

const DRIVER = "memory-lock";

/** Options for {@link MemoryLeaseLock}. */
export interface MemoryLeaseLockOptions {
  /** The clock deciding expiry (tests pass one they can move). */
  readonly now?: () => Date;
}

/**
 * A lease lock in memory (one process): same contract as the file lock — a held or
 * stale lease is reported with its owner, a stale one is broken only by `breakStale`,
 * and fencing tokens grow per key, also across breaks.
 */
export class MemoryLeaseLock implements LeaseLock {
  readonly name = "memory";
  /** `memory:<uuid>`: its tokens are ordered only against this instance's. */
  readonly issuer = `memory:${randomUUID()}`;
  readonly #now: () => Date;
  readonly #leases = new Map<string, Lease>();
  readonly #lastToken = new Map<string, number>();

  /** A lock with its own clock (default: the system clock). */
  constructor(options: MemoryLeaseLockOptions = {}) {
    this.#now = options.now ?? (() => new Date());
  }

  /** Takes the lease on `key`, or `conflict` naming the holder (stale or not). */
  acquire(key: string, options: { owner: string; ttlMs: number }): ResultAsync<Lease, DriverError> {
    return parseAcquire(DRIVER, key, options).asyncAndThen(({ owner, ttlMs }) => {
      const now = this.#now();
      const held = this.#leases.get(key);
      if (held) return errAsync(heldError(DRIVER, "acquire", held, isStale(held, now)));
      const token = (this.#lastToken.get(key) ?? 0) + 1;
      this.#lastToken.set(key, token);
      const lease = newLease(key, owner, token, now, ttlMs);
      this.#leases.set(key, lease);
      return okAsync({ ...lease });
    });
  }

  /**
   * Extends the lease when it is still the current one (same token): a compare-and-swap,
   * the check and the write with nothing in between (the clock is read before the check).
   */
  renew(lease: Lease, ttlMs: number): ResultAsync<Lease, DriverError> {
    return parseRenew(DRIVER, lease, ttlMs).asyncAndThen((ttl) => {
      const now = this.#now();
      const held = this.#leases.get(lease.key);
      if (held?.token !== lease.token) return errAsync(lostError(DRIVER, lease, held));
      const renewed = newLease(held.key, held.owner, held.token, now, ttl, held.acquiredAt);
      this.#leases.set(lease.key, renewed);
      return okAsync({ ...renewed });
    });
  }

  /** The fencing token of the lease now on `key`, or `undefined` (a journal fenced by this lock asks it). */
  currentToken(key: string): number | undefined {
    return this.#leases.get(key)?.token;
  }

  /** Releases the lease if it is still the current one; a lease already gone is fine. */
  release(lease: Lease): ResultAsync<void, DriverError> {
    return parseLease(DRIVER, "release", lease).asyncAndThen(() => {
      if (this.#leases.get(lease.key)?.token === lease.token) this.#leases.delete(lease.key);
      return okAsync(undefined);
    });
  }

  /** The current lease on `key` and whether it is stale, or `null`. */
  inspect(key: string): ResultAsync<LeaseStatus | null, DriverError> {
    return parseLockKey(DRIVER, "inspect", key).asyncAndThen(() => {
      const held = this.#leases.get(key);
      return okAsync(held ? { lease: { ...held }, stale: isStale(held, this.#now()) } : null);
    });
  }

  /**
   * Removes an expired lease and returns it; `conflict` when it is live, `not_found` when
   * there is none (the clock is read before the lease, so nothing comes between).
   */
  breakStale(key: string): ResultAsync<Lease, DriverError> {
    return parseLockKey(DRIVER, "breakStale", key).asyncAndThen(() => {
      const now = this.#now();
      const held = this.#leases.get(key);
      if (!held) return errAsync(notLockedError(DRIVER, key));
      if (!isStale(held, now)) return errAsync(heldError(DRIVER, "breakStale", held, false));
      this.#leases.delete(key);
      return okAsync({ ...held });
    });
  }
}
