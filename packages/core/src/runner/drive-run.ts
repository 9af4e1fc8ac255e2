import { err, type Result } from "neverthrow";
import type { RollbackPlan } from "../plan/rollback-plan";
import { defaultOwner } from "./default-owner";
import type { EventLog } from "./event-log";
import { finishRun } from "./finish-run";
import { DEFAULT_LOCK_TTL_MS, holdLease, type LeaseKeeper } from "./lease-keeper";
import { RunEngine } from "./run-engine";
import type { RunError } from "./run-error";
import type { RunOptions } from "./run-options";
import type { RunProgress } from "./run-progress";
import type { RunReport } from "./run-report";

export { DEFAULT_LOCK_TTL_MS } from "./lease-keeper";

/**
 * Takes the lease on `env` for run `runId` (owned by `<owner> run <runId>`, breaking a
 * stale one first when `breakStale` is set), runs `body` while it is renewed (on the
 * run's clock, `options.now`), then stops renewing. `lock_held` when the lease cannot be taken; `body` gets the owner.
 */
export async function withRunLease(
  options: Pick<RunOptions, "lock" | "owner" | "lockTtlMs" | "now">,
  env: string,
  runId: string,
  breakStale: boolean,
  body: (keeper: LeaseKeeper, owner: string) => Promise<Result<RunReport, RunError>>,
): Promise<Result<RunReport, RunError>> {
  const owner = options.owner ?? defaultOwner();
  const keeper = await holdLease(options.lock, env, {
    owner: `${owner} run ${runId}`,
    ttlMs: options.lockTtlMs ?? DEFAULT_LOCK_TTL_MS,
    runId,
    breakStale,
    now: options.now ?? (() => new Date()),
  });
  if (keeper.isErr()) return err(keeper.error);
  try {
    return await body(keeper.value, owner);
  } finally {
    keeper.value.stop();
  }
}

/** Drives `plan` on from `progress` (tracked by `log`) and ends the run with {@link finishRun}. */
export async function driveRun(
  plan: RollbackPlan,
  progress: RunProgress,
  log: EventLog,
  keeper: LeaseKeeper,
  options: Pick<RunOptions, "signal" | "acknowledgeDataLoss">,
  mode: "continue" | "revert",
): Promise<Result<RunReport, RunError>> {
  log.track(progress);
  const end = await new RunEngine({
    plan,
    progress,
    log,
    signal: options.signal,
    acknowledgeDataLoss: options.acknowledgeDataLoss === true,
    mode,
    holdsLease: keeper.check,
    leaseTaken: () => keeper.failure()?.reason === "conflict",
    fence: keeper.fence,
  }).drive();
  return finishRun(end, progress, keeper, log);
}
