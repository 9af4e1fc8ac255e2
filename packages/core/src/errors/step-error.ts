import type { DriverError, DriverErrorReason } from "./driver-error";

/** A failed step: which step, why, and the runbook's fallback. */
export interface StepError {
  readonly _tag: "StepError";
  /** The id of the step that failed. */
  readonly stepId: string;
  /** The reason, shared with {@link DriverError} so callers branch on one set. */
  readonly reason: DriverErrorReason;
  /** What failed, for an operator. */
  readonly message: string;
  /** The runbook's next move (e.g. "use Path 2"). */
  readonly hint?: string;
  /** The driver error behind it, when there is one. */
  readonly cause?: DriverError;
}

/** Builds a {@link StepError}. */
export function stepError(
  stepId: string,
  reason: DriverErrorReason,
  message: string,
  extra: { hint?: string; cause?: DriverError } = {},
): StepError {
  return {
    _tag: "StepError",
    stepId,
    reason,
    message,
    ...(extra.hint ? { hint: extra.hint } : {}),
    ...(extra.cause ? { cause: extra.cause } : {}),
  };
}

/** Wraps a {@link DriverError} as the failure of step `stepId`, keeping its reason and hint. */
export function fromDriverError(stepId: string, error: DriverError, hint?: string): StepError {
  const h = hint ?? error.hint;
  return stepError(stepId, error.reason, `${error.driver}.${error.op}: ${error.message}`, {
    ...(h ? { hint: h } : {}),
    cause: error,
  });
}
