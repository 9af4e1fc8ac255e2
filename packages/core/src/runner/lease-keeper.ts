import { err, ok, type Result } from "neverthrow";
import type { DriverError } from "../errors/driver-error";
import type { Lease, LeaseLock } from "../ports/lease-lock";
import type { RunError } from "./run-error";
import { runFailure } from "./run-failure";

/** A held lease, renewed in the background while the run lasts. */
export interface LeaseKeeper {
  readonly lease: () => Lease;
  /** True once a renewal found the lease gone (another holder may own the environment now). */
  readonly lost: () => boolean;
  /** Stops renewing (the lease then expires on its own). */
  readonly stop: () => void;
  /** Stops renewing and releases the lease. */
  readonly release: () => Promise<void>;
}

async function call<T>(lock: LeaseLock, op: string, work: () => PromiseLike<Result<T, DriverError>>) {
  try {
    return await work();
  } catch (cause) {
    return err<T, DriverError>({
      _tag: "DriverError",
      driver: lock.name,
      op,
      reason: "failed",
      message: `the lock threw: ${(cause as Error)?.message ?? String(cause)}`,
      cause,
    });
  }
}

function heldBy(key: string, runId: string, error: DriverError): RunError {
  const owner = typeof error.details?.owner === "string" ? error.details.owner : undefined;
  const stale = typeof error.details?.stale === "boolean" ? error.details.stale : undefined;
  if (error.reason !== "conflict") {
    return runFailure("lock_held", `could not take the lease on ${key}: ${error.message}`, {
      runId,
      hint: error.hint ?? "check the lock backend, then try again",
      cause: error,
    });
  }
  return runFailure(
    "lock_held",
    stale
      ? `${key} is locked by ${owner}, whose lease expired (stale): that run may have died mid-way`
      : `${key} is locked by ${owner}: another run is in progress`,
    {
      runId,
      owner,
      stale,
      hint: stale
        ? "make sure that run is dead; then resume its run id with breakStaleLock to finish or revert it"
        : "wait for that run to finish; one run per environment at a time",
      cause: error,
    },
  );
}

/**
 * Takes the lease on `key` (breaking a stale one first when `breakStale` is set) and
 * renews it every third of its time-to-live until stopped. A renewal that finds the
 * lease taken over marks it lost; other renewal errors are retried on the next tick.
 */
export async function holdLease(
  lock: LeaseLock,
  key: string,
  options: { owner: string; ttlMs: number; runId: string; breakStale: boolean },
): Promise<Result<LeaseKeeper, RunError>> {
  const { owner, ttlMs, runId } = options;
  let taken = await call(lock, "acquire", () => lock.acquire(key, { owner, ttlMs }));
  if (taken.isErr() && options.breakStale && taken.error.details?.stale === true) {
    const broken = await call(lock, "breakStale", () => lock.breakStale(key));
    if (broken.isErr()) return err(heldBy(key, runId, broken.error));
    taken = await call(lock, "acquire", () => lock.acquire(key, { owner, ttlMs }));
  }
  if (taken.isErr()) return err(heldBy(key, runId, taken.error));
  let lease = taken.value;
  let lost = false;
  let renewing: Promise<void> | undefined;
  const renew = async () => {
    const renewed = await call(lock, "renew", () => lock.renew(lease, ttlMs));
    if (renewed.isOk()) lease = renewed.value;
    else if (renewed.error.reason === "conflict") lost = true;
    renewing = undefined;
  };
  const timer = setInterval(
    () => {
      if (!renewing && !lost) renewing = renew();
    },
    Math.max(1, Math.floor(ttlMs / 3)),
  );
  timer.unref();
  const stop = () => clearInterval(timer);
  return ok({
    lease: () => lease,
    lost: () => lost,
    stop,
    release: async () => {
      stop();
      await renewing;
      await call(lock, "release", () => lock.release(lease));
    },
  });
}

/**
 * Releases the lease on `key` when it is still held by the finished run `runId` (a run
 * killed after `plan.finished`, before its release): nothing of that run is in flight
 * any more. Any other holder's lease, and any lock error, is left alone.
 */
export async function releaseFinishedRunLease(lock: LeaseLock, key: string, runId: string): Promise<void> {
  const status = await call(lock, "inspect", () => lock.inspect(key));
  const lease = status.isOk() ? status.value?.lease : undefined;
  if (lease?.owner.endsWith(` run ${runId}`)) await call(lock, "release", () => lock.release(lease));
}
