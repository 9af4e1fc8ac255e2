import { type DriverError, driverError, type Lease, type LeaseLock, type LeaseStatus } from "@backflip/core";
import {
  heldError,
  isStale,
  type LeaseBreak,
  lostError,
  newLease,
  notLockedError,
  parseAcquire,
  parseLease,
  parseLeaseBreak,
  parseRenew,
} from "@backflip/core/driver-kit";
import { err, errAsync, ok, okAsync, type ResultAsync } from "neverthrow";
import { BREAK_KEY_PREFIX, droppedBreaks, epochOf, freedKeys, leaseKeys, leaseOf } from "./anchor-lease";
import type { CoordinationAnchors } from "./coordination-anchors";
import { DRIVER } from "./incus-error";

/**
 * A {@link LeaseLock} kept on an Incus anchor instance per environment
 * (`<prefix>-anchor-<env>`, created empty and never started): the lease's owner, run,
 * token, acquiredAt and expiresAt live in its `user.backflip.lease.*` keys, and the last
 * token ever granted in `user.backflip.epoch`, so tokens grow forever per environment,
 * across releases and breaks. A token is also at least the server's time in epoch ms (as
 * this client estimates it, up to ~1 s behind), so tokens keep growing when an anchor is
 * deleted and created again more than a second or so after its last grant (a traffic
 * switch that kept the newest token it saw would otherwise refuse every run after that). Every grant, renew, release and break is a read followed by
 * an `If-Match` PATCH on the ETag read — a compare-and-swap Incus enforces — so of two
 * laptops racing for one environment exactly one wins, and a renew can never overwrite a
 * newer grant. Times are the server's (its HTTP `Date`, see `ServerClock`), never the
 * local clock. A break is recorded on the anchor with who broke it (see {@link breaks}).
 */
export class IncusLeaseLock implements LeaseLock {
  readonly name = "incus";
  /** `incus:<project>/<prefix>`: every client of these anchors issues tokens from one space. */
  readonly issuer: string;
  readonly #anchors: CoordinationAnchors;
  readonly #actor: string;

  /** A lock on `anchors`; `actor` is recorded as the breaker of stale leases. */
  constructor(anchors: CoordinationAnchors, actor: string) {
    this.#anchors = anchors;
    this.#actor = actor;
    this.issuer = anchors.issuer;
  }

  /** Takes the lease on `key` (creating its anchor on first use), or `conflict` naming the holder. */
  acquire(key: string, options: { owner: string; ttlMs: number }): ResultAsync<Lease, DriverError> {
    const op = "acquire";
    const name = this.#anchors.nameOf(op, "anchor", key);
    if (name.isErr()) return errAsync(name.error);
    const checked = parseAcquire(DRIVER, key, options);
    if (checked.isErr()) return errAsync(checked.error);
    const { owner, ttlMs } = checked.value;
    return this.#anchors.update(op, name.value, "anchor", true, (state) => {
      if (!state) return err(gone(op, name.value));
      const held = leaseOf(key, state.config);
      if (held) return err(heldError(DRIVER, op, held, isStale(held, new Date(state.now))));
      const token = Math.max(epochOf(state.config) + 1, Math.floor(state.now));
      const lease = newLease(key, owner, token, new Date(state.now), ttlMs);
      return ok({ write: leaseKeys(lease), value: lease });
    });
  }

  /** Extends the lease while it is still the current one (same token); `conflict` once it was lost. */
  renew(lease: Lease, ttlMs: number): ResultAsync<Lease, DriverError> {
    const op = "renew";
    const checked = parseRenew(DRIVER, lease, ttlMs);
    if (checked.isErr()) return errAsync(checked.error);
    const name = this.#anchors.nameOf(op, "anchor", lease.key);
    if (name.isErr()) return errAsync(name.error);
    return this.#anchors.update(op, name.value, "anchor", false, (state) => {
      const held = state ? leaseOf(lease.key, state.config) : undefined;
      if (!state || held?.token !== lease.token) return err(lostError(DRIVER, lease, held));
      const renewed = newLease(
        lease.key,
        held.owner,
        held.token,
        new Date(state.now),
        ttlMs,
        held.acquiredAt,
      );
      return ok({ write: leaseKeys(renewed), value: renewed });
    });
  }

  /**
   * Frees the lease if it is still the current one; a lease already gone is fine. A lease
   * the run's own `plan.finished` record freed (see {@link IncusJournal}) costs no request.
   */
  release(lease: Lease): ResultAsync<void, DriverError> {
    const op = "release";
    const checked = parseLease(DRIVER, op, lease);
    if (checked.isErr()) return errAsync(checked.error);
    if (this.#anchors.takeFreed(lease.key, lease.token)) return okAsync(undefined);
    const name = this.#anchors.nameOf(op, "anchor", lease.key);
    if (name.isErr()) return errAsync(name.error);
    return this.#anchors.update(op, name.value, "anchor", false, (state) => {
      const held = state ? leaseOf(lease.key, state.config) : undefined;
      return ok(
        held?.token === lease.token ? { write: freedKeys(), value: undefined } : { value: undefined },
      );
    });
  }

  /** The current lease on `key` and whether it expired (by the server's clock), or `null`. */
  inspect(key: string): ResultAsync<LeaseStatus | null, DriverError> {
    const name = this.#anchors.nameOf("inspect", "anchor", key);
    if (name.isErr()) return errAsync(name.error);
    return this.#anchors.read("inspect", name.value).map((state) => {
      const held = state ? leaseOf(key, state.config) : undefined;
      return state && held ? { lease: held, stale: isStale(held, new Date(state.now)) } : null;
    });
  }

  /**
   * Frees an expired lease and returns it, recording in the same write who broke it
   * (`user.backflip.break.<token>`; the newest `KEPT_BREAKS` are kept); `conflict`
   * while it is live, `not_found` when free.
   */
  breakStale(key: string): ResultAsync<Lease, DriverError> {
    const op = "breakStale";
    const name = this.#anchors.nameOf(op, "anchor", key);
    if (name.isErr()) return errAsync(name.error);
    return this.#anchors.update(op, name.value, "anchor", false, (state) => {
      const held = state ? leaseOf(key, state.config) : undefined;
      if (!state || !held) return err(notLockedError(DRIVER, key));
      if (!isStale(held, new Date(state.now))) return err(heldError(DRIVER, op, held, false));
      const record: LeaseBreak = {
        lease: held,
        brokenBy: this.#actor,
        brokenAt: new Date(state.now).toISOString(),
      };
      return ok({
        write: {
          ...droppedBreaks(state.config),
          ...freedKeys(),
          [`${BREAK_KEY_PREFIX}${held.token}`]: JSON.stringify(record),
        },
        value: held,
      });
    });
  }

  /** Every break of a stale lease on `key`, oldest first (empty when the anchor does not exist). */
  breaks(key: string): ResultAsync<LeaseBreak[], DriverError> {
    const name = this.#anchors.nameOf("breaks", "anchor", key);
    if (name.isErr()) return errAsync(name.error);
    return this.#anchors.read("breaks", name.value).map((state) =>
      Object.entries(state?.config ?? {})
        .filter(([k]) => k.startsWith(BREAK_KEY_PREFIX))
        .flatMap(([, v]) => parseLeaseBreak(v) ?? [])
        .sort((a, b) => a.lease.token - b.lease.token),
    );
  }
}

function gone(op: string, name: string): DriverError {
  return driverError({
    driver: DRIVER,
    op,
    reason: "failed",
    message: `the anchor ${name} could not be read`,
  });
}
