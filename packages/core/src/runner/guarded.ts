import { err, type Result, ResultAsync } from "neverthrow";
import type { RunError } from "./run-error";
import { runFailure } from "./run-failure";

/**
 * Wraps a runner entry point so nothing it throws escapes: an unexpected exception
 * stops the run like a killed process would (`journal_failed`: the journal holds what
 * happened, and the run can be resumed).
 */
export function guarded<T>(
  work: () => Promise<Result<T, RunError>>,
  runId: () => string | undefined,
): ResultAsync<T, RunError> {
  return new ResultAsync(
    work().catch((cause: unknown) => {
      const id = runId();
      return err(
        runFailure(
          "journal_failed",
          `the runner stopped on an unexpected error: ${(cause as Error)?.message ?? String(cause)}`,
          {
            ...(id ? { runId: id, hint: `read run ${id} with loadRun, then resume it` } : {}),
          },
        ),
      );
    }),
  );
}
