import { err, ok, type Result } from "neverthrow";
import type { DriverError } from "../errors/driver-error";
import type { RunError } from "./run-error";
import { runFailure } from "./run-failure";
import { type RunProgress, type StepStatus, toReport } from "./run-progress";
import type { RunReport } from "./run-report";

function stepsWith(progress: RunProgress, kinds: readonly StepStatus[]): string[] {
  return progress.steps
    .filter((s) => s.kind === "change" && kinds.includes(progress.status.get(s.id)!.status))
    .map((s) => s.id);
}

const list = (ids: readonly string[]) => (ids.length > 0 ? ids.join(", ") : "none");

/**
 * The result of a finished run: its report when it succeeded, otherwise a
 * {@link RunError} whose kind, message and hint say what happened and what to do next.
 * `reason` says why the run reverted when no step failed (e.g. its lease was lost).
 */
export function outcomeOf(
  progress: RunProgress,
  cause?: DriverError,
  reason?: string,
): Result<RunReport, RunError> {
  const report = toReport(progress);
  const { runId, failure } = progress;
  const extra = { runId, report, ...(cause ? { cause } : {}) };
  const why = failure ? `step ${failure.stepId} failed: ${failure.message}` : reason;
  const undone = stepsWith(progress, ["undone"]);
  switch (progress.state) {
    case "succeeded":
      return ok(report);
    case "refused":
      return err(
        runFailure("refused", `refused: ${why ?? "a check failed"}. Nothing was changed.`, {
          ...extra,
          hint: failure?.hint ?? "fix what the check found, or take the runbook's other path",
        }),
      );
    case "reverted": {
      const done = `completed changes were undone newest first (${list(undone)})`;
      if (progress.aborted)
        return err(runFailure("aborted", `aborted: ${done}.`, { ...extra, hint: failure?.hint }));
      return err(
        runFailure("reverted", `${why ?? "reverted on request"}; ${done}.`, {
          ...extra,
          hint: failure?.hint ?? "the environment is back where it started: read the failed step's error",
        }),
      );
    }
    case "revert_failed": {
      const error = report.error;
      const applied = stepsWith(progress, ["succeeded", "undo_failed", "undoing"]);
      const unknown = stepsWith(progress, ["running"]);
      const problem = progress.undoFailure
        ? `undo of ${progress.undoFailure.stepId} failed: ${progress.undoFailure.message}`
        : `the effect of ${list(unknown)} is unknown`;
      return err(
        runFailure(
          "revert_failed",
          `revert failed: ${problem}. ${why ? `(The run was reverting because ${why}.) ` : ""}Undone: ${list(undone)}; still applied: ${list(applied)}; effect unknown: ${list(unknown)}. Act by hand.`,
          {
            ...extra,
            hint: error?.hint ?? "finish the revert by hand, newest change first, from the report",
          },
        ),
      );
    }
    default:
      return err(
        runFailure("aborted", "aborted before any change completed: nothing was changed.", {
          ...extra,
          hint: failure?.hint,
        }),
      );
  }
}
