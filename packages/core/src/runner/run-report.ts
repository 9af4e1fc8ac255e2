import type { PlanIntent } from "../plan/plan-intent";
import type { StepKind } from "../plan/step";
import type { StepErrorRecord } from "./run-event";
import type { RunState } from "./run-state";

/** How one step ended. `pending`: never started; `uncertain`: interrupted, effect unknown. */
export type StepOutcome =
  | "pending"
  | "succeeded"
  | "failed"
  | "undone"
  | "undo_failed"
  | "skipped"
  | "uncertain";

/** One step in a {@link RunReport}. */
export interface StepReport {
  readonly id: string;
  readonly title: string;
  readonly kind: StepKind;
  readonly outcome: StepOutcome;
  readonly durationMs?: number;
  readonly output?: unknown;
  readonly error?: StepErrorRecord;
}

/** What a run did, rebuilt from its events (and so from its journal). */
export interface RunReport {
  readonly runId: string;
  readonly intent: PlanIntent;
  readonly owner: string;
  readonly state: RunState;
  /** ISO-8601 start time. */
  readonly startedAt: string;
  readonly durationMs: number;
  readonly steps: readonly StepReport[];
  /** The error that ended the run, when it did not succeed. */
  readonly error?: StepErrorRecord;
}
