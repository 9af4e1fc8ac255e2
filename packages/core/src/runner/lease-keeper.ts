import { err, ok, type Result } from "neverthrow";
import type { DriverError } from "../errors/driver-error";
import type { Fence, Lease, LeaseLock } from "../ports/lease-lock";
import type { RunError } from "./run-error";
import { runFailure } from "./run-failure";

/** A held lease, renewed in the background while the run lasts. */
export interface LeaseKeeper {
  readonly lease: () => Lease;
  /** The fence every write of the run carries: the environment and the lease's token. */
  readonly fence: Fence;
  /**
   * Resolves `true` while the run can prove it holds the lease: before "held until" (the
   * last grant's or renewal's expiry, less a safety margin), or after a renewal made on
   * the spot once past it. Resolves `false` for good once it cannot (see {@link lost}).
   */
  readonly check: () => Promise<boolean>;
  /** True once the lease was lost or could no longer be proven held. */
  readonly lost: () => boolean;
  /** The lock error behind a lost lease (the last failed renewal), when there was one. */
  readonly failure: () => DriverError | undefined;
  /** Stops renewing (the lease then expires on its own). */
  readonly stop: () => void;
  /** Stops renewing and releases the lease (giving up after the lock-call deadline). */
  readonly release: () => Promise<void>;
}

/** What {@link holdLease} needs. */
export interface HoldLeaseOptions {
  readonly owner: string;
  readonly ttlMs: number;
  readonly runId: string;
  readonly breakStale: boolean;
  /** The run's clock: "held until" is kept on it. */
  readonly now: () => Date;
}

/** Lease time-to-live when the options give none. */
export const DEFAULT_LOCK_TTL_MS = 60_000;

/** How long one lock call may take before it counts as failed (`timeout`): a third of the time-to-live. */
export function lockCallDeadlineMs(ttlMs: number): number {
  return Math.max(1, Math.floor(ttlMs / 3));
}

/** How long before the lease's expiry the run stops counting on it: a sixth of the time-to-live. */
export function leaseMarginMs(ttlMs: number): number {
  return Math.floor(ttlMs / 6);
}

/** Runs one lock call: a throw becomes `failed`, no answer within `deadlineMs` becomes `timeout`. */
async function call<T>(
  lock: LeaseLock,
  op: string,
  deadlineMs: number,
  work: () => PromiseLike<Result<T, DriverError>>,
): Promise<Result<T, DriverError>> {
  const failed = (reason: DriverError["reason"], message: string, cause?: unknown) =>
    err<T, DriverError>({
      _tag: "DriverError",
      driver: lock.name,
      op,
      reason,
      message,
      ...(cause === undefined ? {} : { cause }),
    });
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<Result<T, DriverError>>((resolve) => {
    timer = setTimeout(
      () => resolve(failed("timeout", `the lock did not answer ${op} within ${deadlineMs} ms`)),
      deadlineMs,
    );
  });
  try {
    return await Promise.race([Promise.resolve().then(work), late]);
  } catch (cause) {
    return failed("failed", `the lock threw: ${(cause as Error)?.message ?? String(cause)}`, cause);
  } finally {
    clearTimeout(timer);
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
 * renews it every third of its time-to-live until stopped. Every lock call has a
 * deadline ({@link lockCallDeadlineMs}). The lease counts as held from the moment its
 * request was sent, on the run's clock, for what the lock granted (the grant's own
 * `expiresAt - acquiredAt`, a renewal its time-to-live; never more than asked), less a
 * margin ({@link leaseMarginMs}): the lock's clock and the run's need not agree. A renewal answering
 * `conflict` loses it at once, any other failed renewal only once that time has passed
 * and a renewal made on the spot ({@link LeaseKeeper.check}) fails too.
 */
export async function holdLease(
  lock: LeaseLock,
  key: string,
  options: HoldLeaseOptions,
): Promise<Result<LeaseKeeper, RunError>> {
  const { owner, ttlMs, runId, now } = options;
  const deadline = lockCallDeadlineMs(ttlMs);
  /** How long a grant lasts, judged on the lock's own clock (its two times), never longer than asked. */
  const grantedMs = (granted: Lease) =>
    Math.min(ttlMs, Date.parse(granted.expiresAt) - Date.parse(granted.acquiredAt));
  const heldUntilOf = (durationMs: number, sentMs: number) => sentMs + durationMs - leaseMarginMs(ttlMs);
  let sentMs = now().getTime();
  let taken = await call(lock, "acquire", deadline, () => lock.acquire(key, { owner, ttlMs }));
  if (taken.isErr() && options.breakStale && taken.error.details?.stale === true) {
    const broken = await call(lock, "breakStale", deadline, () => lock.breakStale(key));
    if (broken.isErr()) return err(heldBy(key, runId, broken.error));
    sentMs = now().getTime();
    taken = await call(lock, "acquire", deadline, () => lock.acquire(key, { owner, ttlMs }));
  }
  if (taken.isErr()) return err(heldBy(key, runId, taken.error));
  let lease = taken.value;
  let heldUntil = heldUntilOf(grantedMs(lease), sentMs);
  let lost = false;
  let failure: DriverError | undefined;
  let renewing: Promise<void> | undefined;
  const renewOnce = async () => {
    const sent = now().getTime();
    const renewed = await call(lock, "renew", deadline, () => lock.renew(lease, ttlMs));
    if (renewed.isOk()) {
      lease = renewed.value;
      heldUntil = heldUntilOf(ttlMs, sent);
      return;
    }
    failure = renewed.error;
    if (renewed.error.reason === "conflict" || now().getTime() >= heldUntil) lost = true;
  };
  const renew = () => {
    renewing ??= renewOnce().finally(() => {
      renewing = undefined;
    });
    return renewing;
  };
  const timer = setInterval(
    () => {
      if (!lost) void renew();
    },
    Math.max(1, Math.floor(ttlMs / 3)),
  );
  timer.unref();
  const stop = () => clearInterval(timer);
  const proven = () => !lost && now().getTime() < heldUntil;
  return ok({
    lease: () => lease,
    fence: { key, token: lease.token, ...(lock.issuer === undefined ? {} : { issuer: lock.issuer }) },
    check: async () => {
      if (proven()) return true;
      await renewing;
      if (proven() || lost) return !lost;
      await renew();
      if (!proven()) lost = true;
      return !lost;
    },
    lost: () => lost,
    failure: () => failure,
    stop,
    release: async () => {
      stop();
      await renewing;
      await call(lock, "release", deadline, () => lock.release(lease));
    },
  });
}

/**
 * Releases the lease on `key` when it is still held by the finished run `runId` (a run
 * killed after `plan.finished`, before its release): nothing of that run is in flight
 * any more. Any other holder's lease, and any lock error, is left alone; each lock call
 * has the deadline of a lease of `ttlMs`.
 */
export async function releaseFinishedRunLease(
  lock: LeaseLock,
  key: string,
  runId: string,
  ttlMs: number,
): Promise<void> {
  const deadline = lockCallDeadlineMs(ttlMs);
  const status = await call(lock, "inspect", deadline, () => lock.inspect(key));
  const lease = status.isOk() ? status.value?.lease : undefined;
  if (lease?.owner.endsWith(` run ${runId}`))
    await call(lock, "release", deadline, () => lock.release(lease));
}
