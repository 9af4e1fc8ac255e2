import type { StepError } from "../errors/step-error";
import type { PlanIntent } from "../plan/plan-intent";
import type { StepKind } from "../plan/step";
import type { RunState } from "./run-state";

/** Fields every event carries. */
export interface RunEventBase {
  readonly runId: string;
  /** ISO-8601 time. */
  readonly at: string;
  /** Milliseconds since the run started. */
  readonly elapsedMs: number;
}

/** A step as recorded when a run starts. */
export interface StepSummary {
  readonly id: string;
  readonly title: string;
  readonly kind: StepKind;
  readonly destructive: boolean;
  readonly idempotent: boolean;
  readonly undoable: boolean;
  /** Its dry-run lines: each action rendered by `renderAction` (commands quoted to paste). */
  readonly actions: readonly string[];
}

/** A step error as it travels in events and journals: no `cause` object, no secrets. */
export type StepErrorRecord = Omit<StepError, "cause"> & { readonly driver?: string; readonly op?: string };

/**
 * Everything a run reports, in order. Progress bars, the audit log, the journal and
 * the postmortem are all built from these.
 */
export type RunEvent =
  | (RunEventBase & {
      readonly type: "plan.started";
      readonly intent: PlanIntent;
      readonly owner: string;
      readonly steps: readonly StepSummary[];
    })
  | (RunEventBase & {
      readonly type: "plan.transition";
      readonly from: RunState;
      readonly to: RunState;
      readonly note?: string;
    })
  | (RunEventBase & { readonly type: "step.started"; readonly stepId: string; readonly resumed?: boolean })
  | (RunEventBase & { readonly type: "step.log"; readonly stepId: string; readonly message: string })
  | (RunEventBase & {
      readonly type: "step.succeeded";
      readonly stepId: string;
      readonly durationMs: number;
      readonly output: unknown;
    })
  | (RunEventBase & {
      readonly type: "step.failed";
      readonly stepId: string;
      readonly durationMs: number;
      readonly error: StepErrorRecord;
    })
  | (RunEventBase & { readonly type: "step.undo.started"; readonly stepId: string })
  | (RunEventBase & { readonly type: "step.undone"; readonly stepId: string; readonly durationMs: number })
  | (RunEventBase & {
      readonly type: "step.undo_failed";
      readonly stepId: string;
      readonly durationMs: number;
      readonly error: StepErrorRecord;
    })
  | (RunEventBase & {
      readonly type: "plan.finished";
      readonly state: RunState;
      readonly durationMs: number;
      readonly error?: StepErrorRecord;
    });

/** The `type` of a {@link RunEvent}. */
export type RunEventType = RunEvent["type"];
