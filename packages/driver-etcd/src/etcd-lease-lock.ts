import { randomUUID } from "node:crypto";
import type { DriverError, Lease, LeaseLock, LeaseStatus } from "@backflip/core";
import {
  heldError,
  isStale,
  type LeaseBreak,
  lostError,
  notLockedError,
  parseAcquire,
  parseLease,
  parseLeaseBreak,
  parseLockKey,
  parseRenew,
} from "@backflip/core/driver-kit";
import { errAsync, ok, okAsync, type Result, type ResultAsync } from "neverthrow";
import type { EtcdClient, EtcdKv, TxnResponse } from "./etcd-client";
import { DRIVER, etcdError } from "./etcd-error";
import { b64, prefixEnd, unb64 } from "./etcd-keys";
import { etcdLayout } from "./etcd-layout";
import { type LeaseOnKey, leaseOfKv, type StoredLease } from "./lease-record";

/** Options of {@link EtcdLeaseLock}. */
export interface EtcdLeaseLockOptions {
  /** Key prefix, e.g. `/backflip`; lease keys are `<prefix>/leases/<key>`. */
  readonly prefix: string;
  /**
   * How long etcd keeps an expired lease after its `expiresAt` before its server-side
   * TTL deletes it (milliseconds, rounded up to seconds).
   */
  readonly staleGraceMs: number;
  /** Who breaks stale leases, as recorded beside them (see {@link EtcdLeaseLock.breaks}). */
  readonly actor: string;
}

/** The extra hint of a stale lease: etcd frees it by itself too. */
const STALE_HINT = "etcd also drops it by itself once its server-side TTL runs out";

/** How a lost lease with no new holder can have gone. */
const GONE_HOW = "released, broken or expired in etcd";

/**
 * A {@link LeaseLock} on etcd v3. Each lease is one key, `<prefix>/leases/<key>`, put in a
 * transaction that requires the key to be absent (create revision 0) and attached to an
 * etcd lease whose server-side TTL is the lease's TTL plus `staleGraceMs`. The fencing
 * token is the key's create revision: etcd's revision grows with every write in the
 * cluster, so every new lease on a key gets a larger one, also across breaks and expiry.
 *
 * Expiry has two clocks. `expiresAt` (the holder's clock, stored in the key) decides
 * `stale`: an expired lease is reported stale with its owner, and only `breakStale`
 * removes it. The etcd lease is the backstop: a holder that died and was never broken
 * loses its key `staleGraceMs` after `expiresAt`, on the server's clock, without anyone
 * acting — then the key is free and the next `acquire` takes it with a larger token.
 */
export class EtcdLeaseLock implements LeaseLock {
  readonly name = DRIVER;
  readonly #client: EtcdClient;
  readonly #prefix: string;
  readonly #graceSeconds: number;
  readonly #actor: string;

  /** A lock over `client`'s cluster under `options.prefix`. */
  constructor(client: EtcdClient, options: EtcdLeaseLockOptions) {
    this.#client = client;
    this.#prefix = options.prefix;
    this.#graceSeconds = Math.ceil(options.staleGraceMs / 1000);
    this.#actor = options.actor;
  }

  /** Takes the lease on `key`, or `conflict` naming the holder (stale or not). */
  acquire(key: string, options: { owner: string; ttlMs: number }): ResultAsync<Lease, DriverError> {
    const input = parseAcquire(DRIVER, key, options);
    if (input.isErr()) return errAsync(input.error);
    const { owner, ttlMs } = input.value;
    const now = new Date();
    const stored: StoredLease = {
      owner,
      acquiredAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + ttlMs).toISOString(),
      nonce: randomUUID(),
    };
    const etcdKey = b64(this.#keyOf(key));
    return this.#client.grant("acquire", this.#ttlSeconds(ttlMs)).andThen((id) =>
      this.#client
        .txn("acquire", {
          compare: [{ key: etcdKey, target: "CREATE", result: "EQUAL", create_revision: "0" }],
          success: [{ request_put: { key: etcdKey, value: b64(JSON.stringify(stored)), lease: id } }],
          failure: [{ request_range: { key: etcdKey } }],
        })
        .andThen((answer) => {
          if (answer.succeeded) return okAsync(leaseFrom(key, stored, Number(answer.header?.revision)));
          const held = this.#current("acquire", key, firstKv(answer, 0));
          // A retried request whose first try was applied: the key is ours (keep its etcd lease).
          if (held.isOk() && held.value?.nonce === stored.nonce) return okAsync(held.value.lease);
          return this.#client
            .revoke("acquire", id)
            .orElse(() => okAsync(undefined))
            .andThen(() => {
              if (held.isErr()) return errAsync(held.error);
              if (!held.value) {
                return errAsync(
                  etcdError("acquire", "failed", `${key}: etcd answered neither grant nor holder`),
                );
              }
              const { lease } = held.value;
              return errAsync(heldError(DRIVER, "acquire", lease, isStale(lease, new Date()), STALE_HINT));
            });
        }),
    );
  }

  /**
   * Extends a held lease: a transaction that still finds the key at our create revision
   * writes the new expiry (keeping its etcd lease), then a keepalive refreshes that etcd
   * lease. A longer TTL than the etcd lease was granted moves the key to a new etcd lease.
   * `conflict` when the key is gone or another lease holds it.
   */
  renew(lease: Lease, ttlMs: number): ResultAsync<Lease, DriverError> {
    const input = parseRenew(DRIVER, lease, ttlMs);
    if (input.isErr()) return errAsync(input.error);
    const stored: StoredLease = {
      owner: lease.owner,
      acquiredAt: lease.acquiredAt,
      expiresAt: new Date(Date.now() + ttlMs).toISOString(),
      nonce: randomUUID(),
    };
    const renewed = leaseFrom(lease.key, stored, lease.token);
    const etcdKey = b64(this.#keyOf(lease.key));
    const value = b64(JSON.stringify(stored));
    const isOurs = {
      key: etcdKey,
      target: "CREATE",
      result: "EQUAL",
      create_revision: String(lease.token),
    } as const;
    return this.#client
      .txn("renew", {
        compare: [isOurs],
        success: [
          { request_range: { key: etcdKey } },
          { request_put: { key: etcdKey, value, ignore_lease: true } },
        ],
        failure: [{ request_range: { key: etcdKey } }],
      })
      .andThen((answer) => {
        const found = this.#current("renew", lease.key, firstKv(answer, 0));
        if (found.isErr()) return errAsync(found.error);
        if (!answer.succeeded || !found.value?.etcdLease)
          return errAsync(lostError(DRIVER, lease, found.value?.lease, GONE_HOW));
        const old = found.value.etcdLease;
        const needed = this.#ttlSeconds(ttlMs);
        return this.#client.keepAlive("renew", old).andThen((granted) => {
          if (granted === 0) return errAsync(lostError(DRIVER, lease, undefined, GONE_HOW));
          if (granted >= needed) return okAsync(renewed);
          return this.#client.grant("renew", needed).andThen((id) =>
            this.#client
              .txn("renew", {
                compare: [isOurs],
                success: [{ request_put: { key: etcdKey, value, lease: id } }],
                failure: [],
              })
              .andThen((moved) =>
                this.#client
                  .revoke("renew", moved.succeeded ? old : id)
                  .orElse(() => okAsync(undefined))
                  .andThen(() =>
                    moved.succeeded
                      ? okAsync(renewed)
                      : errAsync(lostError(DRIVER, lease, undefined, GONE_HOW)),
                  ),
              ),
          );
        });
      });
  }

  /** Deletes the lease key if it still holds this lease, and revokes its etcd lease; a lease already gone is fine. */
  release(lease: Lease): ResultAsync<void, DriverError> {
    const input = parseLease(DRIVER, "release", lease);
    if (input.isErr()) return errAsync(input.error);
    const etcdKey = b64(this.#keyOf(lease.key));
    return this.#client
      .txn("release", {
        compare: [{ key: etcdKey, target: "CREATE", result: "EQUAL", create_revision: String(lease.token) }],
        success: [{ request_range: { key: etcdKey } }, { request_delete_range: { key: etcdKey } }],
        failure: [],
      })
      .andThen((answer) => {
        const id = firstKv(answer, 0)?.lease;
        return answer.succeeded && id && id !== "0"
          ? this.#client.revoke("release", id).orElse(() => okAsync(undefined))
          : okAsync(undefined);
      });
  }

  /** The current lease on `key` and whether it is stale (its `expiresAt` passed), or `null`. */
  inspect(key: string): ResultAsync<LeaseStatus | null, DriverError> {
    const input = parseLockKey(DRIVER, "inspect", key);
    if (input.isErr()) return errAsync(input.error);
    return this.#client.range("inspect", b64(this.#keyOf(key))).andThen((answer) => {
      const found = this.#current("inspect", key, answer.kvs?.[0]);
      if (found.isErr()) return errAsync(found.error);
      const lease = found.value?.lease;
      return okAsync(lease ? { lease, stale: isStale(lease, new Date()) } : null);
    });
  }

  /**
   * Deletes an expired lease's key (only if it did not change since it was read) and
   * revokes its etcd lease; returns the broken lease. `conflict` when the lease is live,
   * `not_found` when there is none.
   */
  breakStale(key: string): ResultAsync<Lease, DriverError> {
    const input = parseLockKey(DRIVER, "breakStale", key);
    if (input.isErr()) return errAsync(input.error);
    const etcdKey = b64(this.#keyOf(key));
    return this.#client.range("breakStale", etcdKey).andThen((answer) => {
      const kv = answer.kvs?.[0];
      const found = this.#current("breakStale", key, kv);
      if (found.isErr()) return errAsync(found.error);
      if (!kv || !found.value) return errAsync(notLockedError(DRIVER, key));
      const { lease, etcdLease } = found.value;
      const now = new Date();
      if (!isStale(lease, now)) return errAsync(heldError(DRIVER, "breakStale", lease, false));
      const record: LeaseBreak = { lease, brokenBy: this.#actor, brokenAt: now.toISOString() };
      const recordKey = b64(etcdLayout.break(this.#prefix, key, lease.token));
      return this.#client
        .txn("breakStale", {
          compare: [{ key: etcdKey, target: "MOD", result: "EQUAL", mod_revision: kv.mod_revision ?? "0" }],
          success: [
            { request_delete_range: { key: etcdKey } },
            { request_put: { key: recordKey, value: b64(JSON.stringify(record)) } },
          ],
          failure: [{ request_range: { key: etcdKey } }],
        })
        .andThen((deleted) => {
          // A key gone by now was deleted by this break's first try (its answer lost) or by
          // an expiry or another break: the stale lease is gone either way.
          if (!deleted.succeeded && firstKv(deleted, 0)) {
            return errAsync(
              etcdError("breakStale", "conflict", `the lease on ${key} changed while it was being broken`, {
                hint: "inspect the lease again: its holder renewed it or another operator broke it",
              }),
            );
          }
          const revoked = etcdLease ? this.#client.revoke("breakStale", etcdLease) : okAsync(undefined);
          return revoked.orElse(() => okAsync(undefined)).map(() => lease);
        });
    });
  }

  /** Every break of a stale lease on `key` (written in the break's own transaction), oldest first. */
  breaks(key: string): ResultAsync<LeaseBreak[], DriverError> {
    const input = parseLockKey(DRIVER, "breaks", key);
    if (input.isErr()) return errAsync(input.error);
    const start = etcdLayout.breaks(this.#prefix, key);
    return this.#client
      .range("breaks", b64(start), prefixEnd(start))
      .map((answer) => (answer.kvs ?? []).flatMap((kv) => parseLeaseBreak(unb64(kv.value)) ?? []));
  }

  #keyOf(key: string): string {
    return etcdLayout.lease(this.#prefix, key);
  }

  #ttlSeconds(ttlMs: number): number {
    return Math.ceil(ttlMs / 1000) + this.#graceSeconds;
  }

  #current(op: string, key: string, kv: EtcdKv | undefined): Result<LeaseOnKey | undefined, DriverError> {
    return kv ? leaseOfKv(op, key, kv) : ok(undefined);
  }
}

function firstKv(answer: TxnResponse, index: number): EtcdKv | undefined {
  return answer.responses?.[index]?.response_range?.kvs?.[0];
}

function leaseFrom(key: string, stored: StoredLease, token: number): Lease {
  return { key, owner: stored.owner, token, acquiredAt: stored.acquiredAt, expiresAt: stored.expiresAt };
}
