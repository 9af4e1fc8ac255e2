import type { Lease } from "@backflip/core";

/** The `user.*` keys of the lease on an anchor; the epoch key is never deleted. */
export const LEASE_KEYS = {
  owner: "user.backflip.lease.owner",
  run: "user.backflip.lease.run",
  token: "user.backflip.lease.token",
  acquiredAt: "user.backflip.lease.acquired-at",
  expiresAt: "user.backflip.lease.expires-at",
  /** The last fencing token ever granted on this environment. */
  epoch: "user.backflip.epoch",
} as const;

/** Prefix of the keys recording who broke which stale lease. */
export const BREAK_KEY_PREFIX = "user.backflip.break.";

/** How many break records an anchor keeps: every key slows each PATCH of it a little. */
export const KEPT_BREAKS = 20;

/**
 * The oldest break records of `config` to delete (as `""`) so that, with the one being
 * recorded, at most {@link KEPT_BREAKS} stay on the anchor.
 */
export function droppedBreaks(config: Readonly<Record<string, string>>): Record<string, string> {
  const tokenOf = (k: string) => Number(k.slice(BREAK_KEY_PREFIX.length));
  const recorded = Object.keys(config)
    .filter((k) => k.startsWith(BREAK_KEY_PREFIX) && config[k] !== "")
    .sort((a, b) => tokenOf(a) - tokenOf(b));
  return Object.fromEntries(recorded.slice(0, recorded.length - (KEPT_BREAKS - 1)).map((k) => [k, ""]));
}

/** The lease recorded on an anchor's config, or `undefined` when it is free. */
export function leaseOf(key: string, config: Readonly<Record<string, string>>): Lease | undefined {
  const owner = config[LEASE_KEYS.owner];
  const token = Number(config[LEASE_KEYS.token]);
  const acquiredAt = config[LEASE_KEYS.acquiredAt];
  const expiresAt = config[LEASE_KEYS.expiresAt];
  if (!owner || !Number.isSafeInteger(token) || token <= 0 || !acquiredAt || !expiresAt) return undefined;
  return { key, owner, token, acquiredAt, expiresAt };
}

/** The last token granted on an anchor (0 before the first grant). */
export function epochOf(config: Readonly<Record<string, string>>): number {
  const epoch = Number(config[LEASE_KEYS.epoch] ?? 0);
  return Number.isSafeInteger(epoch) && epoch > 0 ? epoch : 0;
}

/** The keys that record `lease` (and its token as the epoch). */
export function leaseKeys(lease: Lease): Record<string, string> {
  const run = / run (\S+)$/.exec(lease.owner)?.[1];
  return {
    [LEASE_KEYS.owner]: lease.owner,
    [LEASE_KEYS.run]: run ?? "",
    [LEASE_KEYS.token]: String(lease.token),
    [LEASE_KEYS.acquiredAt]: lease.acquiredAt,
    [LEASE_KEYS.expiresAt]: lease.expiresAt,
    [LEASE_KEYS.epoch]: String(lease.token),
  };
}

/** The keys that free the lease (the epoch stays). */
export function freedKeys(): Record<string, string> {
  return {
    [LEASE_KEYS.owner]: "",
    [LEASE_KEYS.run]: "",
    [LEASE_KEYS.token]: "",
    [LEASE_KEYS.acquiredAt]: "",
    [LEASE_KEYS.expiresAt]: "",
  };
}
