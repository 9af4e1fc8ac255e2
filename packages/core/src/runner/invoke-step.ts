import { err, type Result } from "neverthrow";
import { type StepError, stepError } from "../errors/step-error";

function isResult(value: unknown): value is Result<unknown, StepError> {
  return typeof (value as { isOk?: unknown })?.isOk === "function";
}

/**
 * Runs one piece of step code (`run`, `undo` or `reconcile`) with its own AbortSignal:
 * aborted when `parent` aborts or when `timeoutMs` passes. A step that outlives its
 * timeout gets a `timeout` error (the runner does not wait for it any longer); a step
 * that throws, or returns something other than a Result, gets a `failed` error.
 * Errors always carry `stepId`.
 */
export async function invokeStep<T>(
  stepId: string,
  work: (signal: AbortSignal) => unknown,
  options: { timeoutMs?: number | undefined; parent?: AbortSignal | undefined },
): Promise<Result<T, StepError>> {
  const controller = new AbortController();
  const { parent, timeoutMs } = options;
  const onAbort = () => controller.abort(parent?.reason);
  if (parent?.aborted) onAbort();
  else parent?.addEventListener("abort", onAbort, { once: true });
  let timer: NodeJS.Timeout | undefined;
  const timedOut =
    timeoutMs === undefined
      ? undefined
      : new Promise<Result<T, StepError>>((resolve) => {
          timer = setTimeout(() => {
            controller.abort(new Error(`step ${stepId} timed out after ${timeoutMs} ms`));
            resolve(err(stepError(stepId, "timeout", `timed out after ${timeoutMs} ms`)));
          }, timeoutMs);
        });
  const ran = (async (): Promise<Result<T, StepError>> => {
    try {
      const value = await work(controller.signal);
      if (!isResult(value)) return err(stepError(stepId, "failed", "step code returned no Result"));
      return (value as Result<T, StepError>).mapErr((e) => ({ ...e, _tag: "StepError" as const, stepId }));
    } catch (cause) {
      return err(
        stepError(stepId, "failed", `step code threw: ${(cause as Error)?.message ?? String(cause)}`),
      );
    }
  })();
  try {
    return await (timedOut ? Promise.race([ran, timedOut]) : ran);
  } finally {
    clearTimeout(timer);
    parent?.removeEventListener("abort", onAbort);
  }
}
