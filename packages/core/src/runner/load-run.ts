import { err, type Result, type ResultAsync } from "neverthrow";
import type { Journal } from "../ports/journal";
import { parseInput } from "../validate/parse-input";
import { guarded } from "./guarded";
import { readRun } from "./read-run";
import { replayRun } from "./replay-run";
import type { RunError } from "./run-error";
import { runFailure } from "./run-failure";
import { runIdSchema } from "./run-id";
import type { RunReport } from "./run-report";

/**
 * A run's report, read from the journal (finished or not). Reads only: `invalid_input`
 * for a bad run id, `not_found` for an unknown one.
 */
export function loadRun(journal: Journal, runId: string): ResultAsync<RunReport, RunError> {
  return guarded(
    async (): Promise<Result<RunReport, RunError>> => {
      const id = parseInput(runIdSchema, runId, { driver: "runner", op: "loadRun" });
      if (id.isErr()) return err(runFailure("invalid_input", id.error.message, { cause: id.error }));
      if (typeof journal?.read !== "function") {
        return err(runFailure("invalid_input", "expected a Journal (append, read, list)"));
      }
      const records = await readRun(journal, runId);
      return records.andThen(replayRun).mapErr((e) => ({ ...e, runId }));
    },
    () => undefined,
  );
}
