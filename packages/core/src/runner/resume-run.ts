import { err, type Result, type ResultAsync } from "neverthrow";
import type { DriverError } from "../errors/driver-error";
import { invalidInput } from "../errors/invalid-input";
import type { RollbackPlan } from "../plan/rollback-plan";
import { driveRun, withRunLease } from "./drive-run";
import { EventLog } from "./event-log";
import { guarded } from "./guarded";
import { DEFAULT_LOCK_TTL_MS, releaseFinishedRunLease } from "./lease-keeper";
import { readRun } from "./read-run";
import { refuseUnacknowledged } from "./refuse-unacknowledged";
import type { RunError } from "./run-error";
import { runFailure } from "./run-failure";
import { checkPlan, checkResumeInput, checkSameSteps } from "./run-input";
import type { ResumeOptions } from "./run-options";
import { outcomeOf } from "./run-outcome";
import { foldRecords } from "./run-progress";
import type { RunReport } from "./run-report";

const invalid = (error: DriverError, runId?: string) =>
  runFailure("invalid_input", error.message, { ...(runId ? { runId } : {}), hint: error.hint, cause: error });

function rebuild(options: ResumeOptions, intent: RollbackPlan["intent"]): Result<RollbackPlan, DriverError> {
  try {
    return options.rebuild(intent).andThen((plan) => checkPlan(plan, "resumeRun"));
  } catch (cause) {
    return err(
      invalidInput("runner", "resumeRun", `rebuild threw: ${(cause as Error)?.message ?? String(cause)}`),
    );
  }
}

/**
 * Reads the run's journal again once its lease is held: a `lock_held` error when it no
 * longer has the `count` records the resume was planned from (the killed run's process
 * was still writing until its lease was broken), or when it cannot be read.
 */
async function journalMoved(
  options: ResumeOptions,
  runId: string,
  count: number,
): Promise<RunError | undefined> {
  const again = await readRun(options.journal, runId);
  if (again.isErr()) return again.error;
  if (again.value.length === count) return undefined;
  return runFailure(
    "lock_held",
    `run ${runId} was still being written while its lease was taken (${count} records read, then ${again.value.length}): its runner may still be alive`,
    {
      runId,
      hint: `make sure that runner has stopped (a runner whose lease was broken stops at its next step), then resume run ${runId} again`,
    },
  );
}

/**
 * Picks up a run from its journal, e.g. after the process running it was killed.
 *
 * - A finished run: returns its outcome; nothing runs, no lease is taken (a lease the run
 *   itself left, killed after `plan.finished`, is released).
 * - Otherwise the plan is rebuilt from the recorded intent (`invalid_input` unless it has
 *   the recorded step ids), the lease on the environment is taken (`lock_held` while the
 *   killed run's lease is live; a stale one is broken only with `breakStaleLock`), the
 *   journal is read again (`lock_held` if it grew meanwhile: the killed run was still
 *   writing), and the run goes on from its last record: mode `continue` finishes it,
 *   mode `revert` undoes its completed changes. A completed step is never run again.
 * - A step started but never finished: `reconcile` decides if it has one; otherwise it is
 *   re-run if it is idempotent (or a check or verification, which do not mutate);
 *   otherwise it is never re-run: it is marked `uncertain`, the completed changes are
 *   reverted and the run ends `revert_failed` naming it.
 * - An undo started but never finished is run again: undo must be idempotent.
 */
export function resumeRun(runId: string, options: ResumeOptions): ResultAsync<RunReport, RunError> {
  return guarded(
    async (): Promise<Result<RunReport, RunError>> => {
      const checked = checkResumeInput(runId, options);
      if (checked.isErr()) return err(invalid(checked.error));
      const records = await readRun(options.journal, runId);
      if (records.isErr()) return err(records.error);
      const progress = foldRecords(records.value);
      if (!progress) {
        return err(
          runFailure("journal_failed", `the journal of run ${runId} is not readable as a run`, {
            runId,
            hint: "keep the journal for the postmortem and check the environment by hand",
          }),
        );
      }
      if (progress.finished) {
        await releaseFinishedRunLease(
          options.lock,
          progress.intent.env,
          runId,
          options.lockTtlMs ?? DEFAULT_LOCK_TTL_MS,
        );
        return outcomeOf(progress);
      }
      const plan = rebuild(options, progress.intent).andThen((p) => checkSameSteps(p, progress));
      if (plan.isErr()) return err(invalid(plan.error, runId));
      const refusal = refuseUnacknowledged(plan.value, options.acknowledgeDataLoss, runId);
      if (refusal) return err(refusal);
      const now = options.now ?? (() => new Date());
      const breakStale = options.breakStaleLock === true;
      return withRunLease(options, progress.intent.env, runId, breakStale, async (keeper) => {
        const moved = await journalMoved(options, runId, records.value.length);
        if (moved) {
          await keeper.release();
          return err(moved);
        }
        const first = records.value[0]!.event;
        const log = new EventLog({
          runId,
          journal: options.journal,
          now,
          startedMs: Date.parse(first.at) - first.elapsedMs,
          records: records.value,
          onEvent: options.onEvent,
          fence: keeper.fence,
        });
        return driveRun(plan.value, progress, log, keeper, options, options.mode ?? "continue");
      });
    },
    () => runId,
  );
}
