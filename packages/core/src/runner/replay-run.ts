import { err, ok, type Result } from "neverthrow";
import type { JournalRecord } from "../ports/journal";
import type { RunError } from "./run-error";
import { runFailure } from "./run-failure";
import { foldRecords, toReport } from "./run-progress";
import type { RunReport } from "./run-report";

/**
 * Rebuilds a run's report from its journal records, without running anything: the same
 * fold the runner itself builds its report with, so replaying a finished run's journal
 * reproduces its final report. A run cut short shows the steps it had started and not
 * finished as `uncertain`. `not_found` for no records; `journal_failed` when the records
 * do not start with `plan.started` or skip a sequence number.
 */
export function replayRun(records: readonly JournalRecord[]): Result<RunReport, RunError> {
  if (records.length === 0) return err(runFailure("not_found", "the journal holds no record of this run"));
  const progress = foldRecords(records);
  if (!progress) {
    return err(
      runFailure(
        "journal_failed",
        "the journal records are not a run (no plan.started first, or a gap in seq)",
        {
          hint: "keep the journal file for the postmortem and check the environment by hand",
        },
      ),
    );
  }
  return ok(toReport(progress));
}
