import { err, type Result } from "neverthrow";
import { formatDriverError } from "../errors/driver-error";
import type { EventLog } from "./event-log";
import type { LeaseKeeper } from "./lease-keeper";
import type { EngineEnd } from "./run-engine";
import type { RunError } from "./run-error";
import { runFailure } from "./run-failure";
import { outcomeOf } from "./run-outcome";
import { type RunProgress, toReport } from "./run-progress";
import type { RunReport } from "./run-report";

/**
 * Ends a driven run. A finished run releases its lease and returns its outcome (one
 * that reverted because its lease could no longer be proven says so). A run that lost
 * its journal or its lease (or could no longer prove it held the lease; or
 * whose append the journal refused as fenced, which is a lost lease too) stopped like a
 * killed process: its lease is left to expire (so no other run starts on a half-done
 * environment) and the error says how to resume it.
 */
export async function finishRun(
  end: EngineEnd,
  progress: RunProgress,
  keeper: LeaseKeeper,
  log: EventLog,
): Promise<Result<RunReport, RunError>> {
  const { runId } = progress;
  const report = toReport(progress);
  const env = progress.intent.env;
  if (end.stopped === false) {
    await keeper.release();
    if (!end.leaseLost) return outcomeOf(progress, end.cause);
    const lost = keeper.failure();
    const why = `the lease on ${env} could no longer be proven held (${lost ? formatDriverError(lost) : "it expired by the run's clock"})`;
    return outcomeOf(progress, end.cause ?? lost, why);
  }
  keeper.stop();
  const expires = keeper.lease().expiresAt;
  const fenced = log.failure?.details?.fenced === true;
  if (end.stopped === "lease" || fenced) {
    const failure = fenced ? log.failure : keeper.failure();
    const why = failure ? formatDriverError(failure) : "it expired by the run's clock";
    return err(
      runFailure(
        "lock_held",
        `the lease on ${env} was lost or could no longer be proven held mid-run (${why}): the run stopped in state ${progress.state} without touching anything more`,
        {
          runId,
          report,
          ...(failure ? { cause: failure } : {}),
          hint: `find who holds ${env} now (inspect the lock); when nobody does, resume run ${runId} (mode "revert" or "continue", with breakStaleLock once its lease is stale)`,
        },
      ),
    );
  }
  return err(
    runFailure(
      "journal_failed",
      `the journal could not be written (${log.failure ? formatDriverError(log.failure) : "unknown error"}): the run stopped in state ${progress.state}, like a killed process`,
      {
        runId,
        report,
        ...(log.failure ? { cause: log.failure } : {}),
        hint: `fix the journal, then resume run ${runId}; its lease on ${env} expires at ${expires}, so pass breakStaleLock after that`,
      },
    ),
  );
}
