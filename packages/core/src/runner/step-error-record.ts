import type { StepError } from "../errors/step-error";
import type { StepErrorRecord } from "./run-event";

/** A {@link StepError} as events and journals carry it: the `cause` object dropped, its driver and op kept. */
export function toStepErrorRecord(error: StepError): StepErrorRecord {
  const cause = error.cause as { driver?: unknown; op?: unknown } | undefined;
  return {
    _tag: "StepError",
    stepId: error.stepId,
    reason: error.reason,
    message: String(error.message),
    ...(typeof error.hint === "string" ? { hint: error.hint } : {}),
    ...(typeof cause?.driver === "string" ? { driver: cause.driver } : {}),
    ...(typeof cause?.op === "string" ? { op: cause.op } : {}),
  };
}
