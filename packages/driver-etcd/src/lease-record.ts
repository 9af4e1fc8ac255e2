import type { DriverError, Lease } from "@backflip/core";
import { freeTextSchema, parseInput } from "@backflip/core/driver-kit";
import type { Result } from "neverthrow";
import { z } from "zod";
import type { EtcdKv } from "./etcd-client";
import { DRIVER } from "./etcd-error";
import { unb64 } from "./etcd-keys";

/** A lock key (an environment name): one path segment under the prefix. */
export const lockKeySchema = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/,
    "expected a key of letters, digits, '.', '_' or '-', starting with a letter or digit",
  );

/** `acquire` options: an owner for people to read, a time-to-live in milliseconds. */
export const acquireOptionsSchema = z.object({
  owner: freeTextSchema(256),
  ttlMs: z
    .number()
    .int()
    .min(1)
    .max(7 * 24 * 3600 * 1000),
});

/** A lease as passed back to `renew` and `release`. */
export const leaseSchema = z.object({
  key: lockKeySchema,
  owner: z.string(),
  token: z.number().int().positive(),
  acquiredAt: z.string(),
  expiresAt: z.string(),
});

/** What the lease key's value holds (JSON); the token is the key's create revision. */
const storedLeaseSchema = z.object({
  owner: z.string(),
  acquiredAt: z.string(),
  expiresAt: z.string(),
  /** Random per grant: lets a retried acquire recognise its own earlier write. */
  nonce: z.string(),
});

/** A lease key's value as stored. */
export type StoredLease = z.output<typeof storedLeaseSchema>;

/** A lease as read from its key: the port's view plus the grant's nonce and etcd lease id. */
export interface LeaseOnKey {
  readonly lease: Lease;
  readonly nonce: string;
  /** The etcd lease the key is attached to (its server-side TTL). */
  readonly etcdLease?: string;
}

/** The lease a lease key's key-value describes. */
export function leaseOfKv(op: string, key: string, kv: EtcdKv): Result<LeaseOnKey, DriverError> {
  return parseStored(op, kv).map((stored) => ({
    lease: {
      key,
      owner: stored.owner,
      token: Number(kv.create_revision),
      acquiredAt: stored.acquiredAt,
      expiresAt: stored.expiresAt,
    },
    nonce: stored.nonce,
    ...(kv.lease && kv.lease !== "0" ? { etcdLease: kv.lease } : {}),
  }));
}

function parseStored(op: string, kv: EtcdKv): Result<StoredLease, DriverError> {
  let value: unknown;
  try {
    value = JSON.parse(unb64(kv.value));
  } catch {
    value = undefined;
  }
  return parseInput(storedLeaseSchema, value, {
    driver: DRIVER,
    op,
    hint: "the lease key was written by something other than Backflip: inspect it with etcdctl get",
  });
}

/** True when `lease` has expired at `now`. */
export function isStale(lease: Lease, now: Date): boolean {
  return Date.parse(lease.expiresAt) <= now.getTime();
}
