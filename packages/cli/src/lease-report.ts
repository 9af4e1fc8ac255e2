import {
  type DriverError,
  type LeaseLock,
  type LeaseStatus,
  type RunReport,
  TERMINAL_STATES,
} from "@backflip/core";
import type { LeaseBreak } from "@backflip/core/driver-kit";
import { okAsync, ResultAsync } from "neverthrow";
import type { Coordination } from "./coordination";

/** One environment's lease as the coordination store reports it (`null`: free). */
export interface EnvLease {
  readonly env: string;
  readonly lease: LeaseStatus | null;
}

/** The leases of `envs` (each once, in order), read from the store; the first error ends it. */
export function inspectLeases(
  lock: LeaseLock,
  envs: readonly string[],
): ResultAsync<EnvLease[], DriverError> {
  const unique = [...new Set(envs)];
  return ResultAsync.combine(unique.map((env) => lock.inspect(env).map((lease) => ({ env, lease }))));
}

/** `3m12s`, `2h05m`, `4d03h`: how long ago, for a person. */
export function ago(fromIso: string, now: Date): string {
  const s = Math.max(0, Math.round((now.getTime() - Date.parse(fromIso)) / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
  return `${Math.floor(s / 86_400)}d${String(Math.floor((s % 86_400) / 3600)).padStart(2, "0")}h`;
}

/** One line per environment: who holds its lease, since when, until when, and whether it is stale. */
export function leaseLine({ env, lease }: EnvLease, now: Date): string {
  if (!lease) return `${env}: free`;
  const { owner, acquiredAt, expiresAt, token } = lease.lease;
  const since = `since ${acquiredAt} (${ago(acquiredAt, now)} ago)`;
  return lease.stale
    ? `${env}: STALE — held by ${owner} ${since}, expired ${expiresAt}: its holder is presumed dead (resume its run with --break-stale-lock)`
    : `${env}: held by ${owner} ${since}, until ${expiresAt} (token ${token})`;
}

/** Where an unfinished run stands: still `running` (its live lease is held), or `interrupted` (resume or revert it). */
export type Liveness = "finished" | "running" | "interrupted";

/** Whether a run is finished, running under its live lease, or interrupted (no lease, another's, or its own gone stale). */
export function livenessOf(run: RunReport, leases: readonly EnvLease[]): Liveness {
  if (TERMINAL_STATES.includes(run.state)) return "finished";
  const held = leases.find((l) => l.env === run.intent.env)?.lease;
  return held && !held.stale && held.lease.owner.endsWith(` run ${run.runId}`) ? "running" : "interrupted";
}

/** The breaks of stale leases the store recorded for `envs` (none for a store that keeps no record). */
export function leaseBreaks(
  store: Coordination,
  envs: readonly string[],
): ResultAsync<{ env: string; broken: LeaseBreak }[], DriverError> {
  const { breaks } = store;
  if (!breaks) return okAsync([]);
  const unique = [...new Set(envs)];
  return ResultAsync.combine(
    unique.map((env) => breaks(env).map((list) => list.map((broken) => ({ env, broken })))),
  ).map((all) => all.flat());
}

/** One line for a recorded break: whose lease, who broke it, when. */
export function breakLine({ env, broken }: { env: string; broken: LeaseBreak }): string {
  return `${env}: ${broken.brokenBy} broke the stale lease of ${broken.lease.owner} (token ${broken.lease.token}, expired ${broken.lease.expiresAt}) at ${broken.brokenAt}`;
}
