import type { ResultAsync } from "neverthrow";
import type { DriverError } from "../errors/driver-error";

/** A held lease: one run per environment at a time. */
export interface Lease {
  /** What is locked, e.g. the environment `staging`. */
  readonly key: string;
  /** Who holds it, e.g. `alice@host pid 4242 run 01J…`. */
  readonly owner: string;
  /** Monotonic fencing token: every new lease on a key gets a larger one. */
  readonly token: number;
  /** ISO-8601 times. */
  readonly acquiredAt: string;
  readonly expiresAt: string;
}

/**
 * The lease a write is made under. A store that coordinates with the lease (a journal,
 * a traffic switch's state) refuses the write with reason `conflict` and
 * `details: { fenced: true }` once `token` is no longer the current lease on `key`.
 */
export interface Fence {
  /** The leased key, e.g. the environment `staging`. */
  readonly key: string;
  /** The lease's fencing token ({@link Lease.token}). */
  readonly token: number;
  /**
   * The lease store that issued `token` ({@link LeaseLock.issuer}), when it names one. Tokens
   * are ordered only within one store: a store that keeps the newest token it saw (a traffic
   * switch's state) compares a fence only with tokens of the same key and issuer.
   */
  readonly issuer?: string;
}

/** What {@link LeaseLock.inspect} sees. */
export interface LeaseStatus {
  readonly lease: Lease;
  /** True when the lease expired: its holder is presumed dead. Broken only by {@link LeaseLock.breakStale}. */
  readonly stale: boolean;
}

/**
 * A lease lock with owner, expiry and fencing token. `acquire` fails with reason
 * `conflict` and `details: { owner, stale, expiresAt }` when another lease is held —
 * stale or not: a stale lease is reported, never silently taken over.
 */
export interface LeaseLock {
  readonly name: string;
  /**
   * Names this store's token space when other stores' tokens for the same key are not
   * ordered with its own (a lock directory on one machine: `file:<host>:<dir>`); runs put
   * it in their {@link Fence}. A store shared by the whole team may leave it out.
   */
  readonly issuer?: string;
  /** Takes the lease on `key` for `ttlMs`, or fails `conflict` naming the holder. */
  acquire(key: string, options: { owner: string; ttlMs: number }): ResultAsync<Lease, DriverError>;
  /** Extends a held lease; `conflict` when it was lost (token no longer current). */
  renew(lease: Lease, ttlMs: number): ResultAsync<Lease, DriverError>;
  /** Releases a held lease; releasing a lease already gone succeeds. */
  release(lease: Lease): ResultAsync<void, DriverError>;
  /** The current lease on `key`, or `null`. */
  inspect(key: string): ResultAsync<LeaseStatus | null, DriverError>;
  /** Removes an expired lease; refuses (`conflict`) when it is still live. */
  breakStale(key: string): ResultAsync<Lease, DriverError>;
}
