import type { DriverError, Lease } from "@backflip/core";
import { etcdError } from "./etcd-error";

/** The `conflict` returned when someone else holds `lease.key` (stale or not). */
export function heldError(op: string, lease: Lease, stale: boolean): DriverError {
  return etcdError(
    op,
    "conflict",
    stale
      ? `${lease.key} is locked by ${lease.owner}, whose lease expired at ${lease.expiresAt} (stale: its holder is presumed dead)`
      : `${lease.key} is locked by ${lease.owner} until ${lease.expiresAt}`,
    {
      hint: stale
        ? "make sure that run is dead, then resume it with breakStaleLock (or break the lease explicitly); etcd also drops it by itself once its server-side TTL runs out"
        : "another run is in progress on this environment: wait for it to finish",
      details: { owner: lease.owner, stale, expiresAt: lease.expiresAt, token: lease.token },
    },
  );
}

/** The `conflict` returned by `renew` when `lease` is no longer the current one. */
export function lostError(lease: Lease, holder: Lease | undefined): DriverError {
  return etcdError(
    "renew",
    "conflict",
    holder
      ? `lease ${lease.token} on ${lease.key} was lost: ${holder.owner} now holds it (token ${holder.token})`
      : `lease ${lease.token} on ${lease.key} was lost: it was released, broken or expired in etcd`,
    {
      hint: "stop: another run may own this environment now",
      ...(holder ? { details: { owner: holder.owner, token: holder.token } } : {}),
    },
  );
}
