import { err, type Result, type ResultAsync } from "neverthrow";
import type { RollbackPlan } from "../plan/rollback-plan";
import { driveRun, withRunLease } from "./drive-run";
import { EventLog } from "./event-log";
import { guarded } from "./guarded";
import { refuseUnacknowledged } from "./refuse-unacknowledged";
import type { RunError } from "./run-error";
import type { RunEvent, StepSummary } from "./run-event";
import { runFailure } from "./run-failure";
import { newRunId } from "./run-id";
import { checkRunInput } from "./run-input";
import type { RunOptions } from "./run-options";
import { startProgress } from "./run-progress";
import type { RunReport } from "./run-report";

export { DEFAULT_LOCK_TTL_MS } from "./drive-run";

function summaries(plan: RollbackPlan): StepSummary[] {
  return plan.describe().steps.map((s) => ({
    id: s.id,
    title: s.title,
    kind: s.kind,
    destructive: s.destructive,
    idempotent: s.idempotent,
    undoable: s.undoable,
    actions: s.lines,
  }));
}

/**
 * Runs a plan: validates the options, refuses destructive steps without
 * `acknowledgeDataLoss`, takes the lease on `plan.intent.env`, journals `plan.started`,
 * runs the checks (parallel within a group), then the changes one by one, then the
 * verifications. A failed check refuses the run (nothing changed); a failed change or
 * verification reverts the completed changes newest first. Every event is journaled
 * (awaited) before the next thing happens, then passed to `onEvent`.
 *
 * Ok only when the run succeeded; otherwise a {@link RunError} (see its `kind`) with the
 * report of what ran. A journal that cannot be written stops the run where it is
 * (`journal_failed`), like a killed process: resume it with {@link resumeRun}.
 */
export function runPlan(plan: RollbackPlan, options: RunOptions): ResultAsync<RunReport, RunError> {
  let runId: string | undefined;
  return guarded(
    async (): Promise<Result<RunReport, RunError>> => {
      const checked = checkRunInput(plan, options);
      if (checked.isErr())
        return err(runFailure("invalid_input", checked.error.message, { cause: checked.error }));
      const refusal = refuseUnacknowledged(plan, options.acknowledgeDataLoss, options.runId);
      if (refusal) return err(refusal);
      if (options.signal?.aborted) {
        return err(runFailure("aborted", "aborted before the run started: nothing was run"));
      }
      const now = options.now ?? (() => new Date());
      const { journal } = options;
      const id = options.runId ?? newRunId(now());
      runId = id;
      if (options.runId) {
        const existing = await journal.read(id);
        if (existing.isOk() && existing.value.length > 0) {
          return err(
            runFailure("invalid_input", `run ${id} is already in the journal`, {
              runId: id,
              hint: "resume it with resumeRun, or pick a new run id",
            }),
          );
        }
      }
      return withRunLease(options, plan.intent.env, id, false, async (keeper, owner) => {
        const log = new EventLog({
          runId: id,
          journal,
          now,
          startedMs: now().getTime(),
          records: [],
          onEvent: options.onEvent,
          fence: keeper.fence,
        });
        const started = await log.emit({
          type: "plan.started",
          intent: plan.intent,
          owner,
          steps: summaries(plan),
        });
        if (!started) {
          await keeper.release();
          return err(
            runFailure(
              "journal_failed",
              `the journal could not be written: ${log.failure?.message}; nothing ran`,
              {
                runId: id,
                ...(log.failure ? { cause: log.failure, hint: log.failure.hint } : {}),
              },
            ),
          );
        }
        const progress = startProgress(log.records[0]!.event as Extract<RunEvent, { type: "plan.started" }>);
        return driveRun(plan, progress, log, keeper, options, "continue");
      });
    },
    () => runId,
  );
}
