import { err, type Result, type ResultAsync } from "neverthrow";
import type { RollbackPlan } from "../plan/rollback-plan";
import { defaultOwner } from "./default-owner";
import { EventLog } from "./event-log";
import { finishRun } from "./finish-run";
import { guarded } from "./guarded";
import { holdLease } from "./lease-keeper";
import { refuseUnacknowledged } from "./refuse-unacknowledged";
import { RunEngine } from "./run-engine";
import type { RunError } from "./run-error";
import type { RunEvent, StepSummary } from "./run-event";
import { runFailure } from "./run-failure";
import { newRunId } from "./run-id";
import { checkRunInput } from "./run-input";
import type { RunOptions } from "./run-options";
import { startProgress } from "./run-progress";
import type { RunReport } from "./run-report";

/** Lease time-to-live when the options give none. */
export const DEFAULT_LOCK_TTL_MS = 60_000;

function summaries(plan: RollbackPlan): StepSummary[] {
  return plan.describe().steps.map((s) => ({
    id: s.id,
    title: s.title,
    kind: s.kind,
    destructive: s.destructive,
    idempotent: s.idempotent,
    undoable: s.undoable,
    actions: s.actions,
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
      runId = options.runId ?? newRunId(now());
      if (options.runId) {
        const existing = await journal.read(runId);
        if (existing.isOk() && existing.value.length > 0) {
          return err(
            runFailure("invalid_input", `run ${runId} is already in the journal`, {
              runId,
              hint: "resume it with resumeRun, or pick a new run id",
            }),
          );
        }
      }
      const owner = options.owner ?? defaultOwner();
      const keeper = await holdLease(options.lock, plan.intent.env, {
        owner: `${owner} run ${runId}`,
        ttlMs: options.lockTtlMs ?? DEFAULT_LOCK_TTL_MS,
        runId,
        breakStale: false,
      });
      if (keeper.isErr()) return err(keeper.error);
      const log = new EventLog({
        runId,
        journal,
        now,
        startedMs: now().getTime(),
        records: [],
        onEvent: options.onEvent,
      });
      try {
        const started = await log.emit({
          type: "plan.started",
          intent: plan.intent,
          owner,
          steps: summaries(plan),
        });
        if (!started) {
          await keeper.value.release();
          return err(
            runFailure(
              "journal_failed",
              `the journal could not be written: ${log.failure?.message}; nothing ran`,
              {
                runId,
                ...(log.failure ? { cause: log.failure, hint: log.failure.hint } : {}),
              },
            ),
          );
        }
        const progress = startProgress(log.records[0]!.event as Extract<RunEvent, { type: "plan.started" }>);
        log.track(progress);
        const end = await new RunEngine({
          plan,
          progress,
          log,
          signal: options.signal,
          acknowledgeDataLoss: options.acknowledgeDataLoss === true,
          mode: "continue",
          leaseLost: keeper.value.lost,
        }).drive();
        return await finishRun(end, progress, keeper.value, log);
      } finally {
        keeper.value.stop();
      }
    },
    () => runId,
  );
}
