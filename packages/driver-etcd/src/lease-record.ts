import type { DriverError, Lease } from "@backflip/core";
import { lazySchema, parseInput } from "@backflip/core/driver-kit";
import type { Result } from "neverthrow";
import * as z from "zod";
import type { EtcdKv } from "./etcd-client";
import { DRIVER } from "./etcd-error";
import { unb64 } from "./etcd-keys";

/** What the lease key's value holds (JSON); the token is the key's create revision. */
const storedLeaseSchema = lazySchema(() =>
  z.object({
    owner: z.string(),
    acquiredAt: z.string(),
    expiresAt: z.string(),
    /** Random per grant: lets a retried acquire recognise its own earlier write. */
    nonce: z.string(),
  }),
);

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
