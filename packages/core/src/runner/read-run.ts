import { err, ok, type Result } from "neverthrow";
import type { Journal, JournalRecord } from "../ports/journal";
import type { RunError } from "./run-error";
import { runFailure } from "./run-failure";

/** A run's records from the journal, with its failures as {@link RunError}s (`not_found`, `journal_failed`). */
export async function readRun(journal: Journal, runId: string): Promise<Result<JournalRecord[], RunError>> {
  const read = await journal.read(runId);
  if (read.isOk()) {
    return read.value.length > 0
      ? ok(read.value)
      : err(runFailure("not_found", `run ${runId} has no records`, { runId }));
  }
  if (read.error.reason === "not_found") {
    return err(
      runFailure("not_found", `no run ${runId} in the ${journal.name} journal`, {
        runId,
        hint: "list the journal's runs to find the id",
        cause: read.error,
      }),
    );
  }
  return err(
    runFailure("journal_failed", `could not read run ${runId}: ${read.error.message}`, {
      runId,
      cause: read.error,
      ...(read.error.hint ? { hint: read.error.hint } : {}),
    }),
  );
}
