import type { Result } from "neverthrow";
import * as z from "zod";
import { type DriverError, driverError } from "../errors/driver-error";
import type { Lease } from "../ports/lease-lock";
import { lazySchema } from "../validate/lazy-schema";
import { parseInput } from "../validate/parse-input";
import { freeTextSchema } from "../validate/schemas";

/** A lock key (usually an environment name): safe as a file name or one path segment. */
export const lockKeySchema = lazySchema(() =>
  z
    .string()
    .regex(
      /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/,
      "expected a key of letters, digits, '.', '_' or '-', starting with a letter or digit",
    ),
);

/** `acquire` options: an owner for people to read, a time-to-live in milliseconds. */
const acquireOptionsSchema = lazySchema(() =>
  z.object({
    owner: freeTextSchema(256),
    ttlMs: z
      .number()
      .int()
      .min(1)
      .max(7 * 24 * 3600 * 1000),
  }),
);

/** A lease as passed back to `renew`/`release`. */
export const leaseSchema = lazySchema(() =>
  z.object({
    key: lockKeySchema,
    owner: z.string(),
    token: z.number().int().positive(),
    acquiredAt: z.string(),
    expiresAt: z.string(),
  }),
);

/** A time-to-live for `renew`. */
const ttlSchema = lazySchema(() => acquireOptionsSchema.shape.ttlMs);

/** Validates the key passed to `op` (`invalid_input` from `driver` otherwise). */
export function parseLockKey(driver: string, op: string, key: string): Result<string, DriverError> {
  return parseInput(lockKeySchema, key, { driver, op });
}

/** Validates `acquire`'s key, then its options; returns the options. */
export function parseAcquire(
  driver: string,
  key: string,
  options: { owner: string; ttlMs: number },
): Result<{ owner: string; ttlMs: number }, DriverError> {
  return parseLockKey(driver, "acquire", key).andThen(() =>
    parseInput(acquireOptionsSchema, options, { driver, op: "acquire" }),
  );
}

/** Validates the lease passed back to `op` (`renew` or `release`). */
export function parseLease(driver: string, op: string, lease: Lease): Result<Lease, DriverError> {
  return parseInput(leaseSchema, lease, { driver, op });
}

/** Validates `renew`'s lease, then its time-to-live; returns the time-to-live. */
export function parseRenew(driver: string, lease: Lease, ttlMs: number): Result<number, DriverError> {
  return parseLease(driver, "renew", lease).andThen(() =>
    parseInput(ttlSchema, ttlMs, { driver, op: "renew" }),
  );
}

/** A lease on `key` expiring `ttlMs` after `now` (acquired `now` unless `acquiredAt` is given). */
export function newLease(
  key: string,
  owner: string,
  token: number,
  now: Date,
  ttlMs: number,
  acquiredAt?: string,
): Lease {
  return {
    key,
    owner,
    token,
    acquiredAt: acquiredAt ?? now.toISOString(),
    expiresAt: new Date(now.getTime() + ttlMs).toISOString(),
  };
}

/** The `not_found` `breakStale` returns when `key` holds no lease. */
export function notLockedError(driver: string, key: string): DriverError {
  return driverError({ driver, op: "breakStale", reason: "not_found", message: `${key} is not locked` });
}

/** True when `lease` has expired at `now`. */
export function isStale(lease: Lease, now: Date): boolean {
  return Date.parse(lease.expiresAt) <= now.getTime();
}

/**
 * The `conflict` every lock returns when someone else holds the key. `staleHint`, when
 * given, is one more clause for the stale case's hint (how this backend also frees it).
 */
export function heldError(
  driver: string,
  op: string,
  lease: Lease,
  stale: boolean,
  staleHint?: string,
): DriverError {
  const breakHint =
    "make sure that run is dead, then resume it with breakStaleLock (or break the lease explicitly)";
  return driverError({
    driver,
    op,
    reason: "conflict",
    message: stale
      ? `${lease.key} is locked by ${lease.owner}, whose lease expired at ${lease.expiresAt} (stale: its holder is presumed dead)`
      : `${lease.key} is locked by ${lease.owner} until ${lease.expiresAt}`,
    hint: stale
      ? staleHint
        ? `${breakHint}; ${staleHint}`
        : breakHint
      : "another run is in progress on this environment: wait for it to finish",
    details: { owner: lease.owner, stale, expiresAt: lease.expiresAt, token: lease.token },
  });
}

/**
 * The `conflict` returned by `renew` when the lease is no longer the current one.
 * `goneHow` says how a lease with no new holder can have gone (default "released or broken").
 */
export function lostError(
  driver: string,
  lease: Lease,
  holder: Lease | undefined,
  goneHow = "released or broken",
): DriverError {
  return driverError({
    driver,
    op: "renew",
    reason: "conflict",
    message: holder
      ? `lease ${lease.token} on ${lease.key} was lost: ${holder.owner} now holds it (token ${holder.token})`
      : `lease ${lease.token} on ${lease.key} was lost: it was ${goneHow}`,
    hint: "stop: another run may own this environment now",
    ...(holder ? { details: { owner: holder.owner, token: holder.token } } : {}),
  });
}
