import type { PlanIntent } from "../plan/plan-intent";
import type { JournalRecord } from "../ports/journal";
import type { RunEvent, StepErrorRecord, StepSummary } from "./run-event";
import type { RunReport, StepOutcome } from "./run-report";
import type { RunState } from "./run-state";

/** Where one step stands, as the journal tells it. `running`/`undoing`: started, not finished. */
export type StepStatus =
  | "pending"
  | "running"
  | "succeeded"
  | "failed"
  | "undoing"
  | "undone"
  | "undo_failed";

/** One step's progress. */
export interface StepProgress {
  status: StepStatus;
  output?: unknown;
  error?: StepErrorRecord;
  durationMs?: number;
}

/** A run as its events describe it: the single state both the runner and a resume decide from. */
export interface RunProgress {
  readonly runId: string;
  readonly intent: PlanIntent;
  readonly owner: string;
  readonly startedAt: string;
  readonly steps: readonly StepSummary[];
  state: RunState;
  /** `plan.finished` was recorded. */
  finished: boolean;
  /** The run went through `aborted`. */
  aborted: boolean;
  readonly status: Map<string, StepProgress>;
  /** The first step failure (what refused or reverted the run). */
  failure?: StepErrorRecord;
  /** The first failed undo. */
  undoFailure?: StepErrorRecord;
  /** The error recorded by `plan.finished`. */
  finalError?: StepErrorRecord;
  durationMs: number;
}

/** A new progress from a run's `plan.started` event. */
export function startProgress(event: Extract<RunEvent, { type: "plan.started" }>): RunProgress {
  return {
    runId: event.runId,
    intent: event.intent,
    owner: event.owner,
    startedAt: event.at,
    steps: event.steps,
    state: "planned",
    finished: false,
    aborted: false,
    status: new Map(event.steps.map((s) => [s.id, { status: "pending" }])),
    durationMs: event.elapsedMs,
  };
}

/** Folds one later event into `progress` (in place). Events about unknown steps are ignored. */
export function applyEvent(progress: RunProgress, event: RunEvent): void {
  progress.durationMs = event.elapsedMs;
  const step = "stepId" in event ? progress.status.get(event.stepId) : undefined;
  switch (event.type) {
    case "plan.started":
    case "step.log":
      return;
    case "plan.transition":
      progress.state = event.to;
      if (event.to === "aborted") progress.aborted = true;
      return;
    case "plan.finished":
      progress.state = event.state;
      progress.finished = true;
      progress.durationMs = event.durationMs;
      if (event.error) progress.finalError = event.error;
      return;
  }
  if (!step) return;
  switch (event.type) {
    case "step.started":
      step.status = "running";
      return;
    case "step.succeeded":
      Object.assign(step, { status: "succeeded", output: event.output, durationMs: event.durationMs });
      delete step.error;
      return;
    case "step.failed":
      Object.assign(step, { status: "failed", error: event.error, durationMs: event.durationMs });
      progress.failure ??= event.error;
      return;
    case "step.undo.started":
      step.status = "undoing";
      return;
    case "step.undone":
      step.status = "undone";
      return;
    case "step.undo_failed":
      Object.assign(step, { status: "undo_failed", error: event.error });
      progress.undoFailure ??= event.error;
      return;
  }
}

/** Folds a run's records; `undefined` when they do not start with `plan.started` or skip a seq. */
export function foldRecords(records: readonly JournalRecord[]): RunProgress | undefined {
  const first = records[0]?.event;
  if (first?.type !== "plan.started") return undefined;
  const progress = startProgress(first);
  for (let i = 1; i < records.length; i++) {
    const record = records[i]!;
    if (record.seq !== i) return undefined;
    applyEvent(progress, record.event);
  }
  return progress;
}

const OUTCOME: Record<StepStatus, StepOutcome> = {
  pending: "pending",
  running: "uncertain",
  succeeded: "succeeded",
  failed: "failed",
  undoing: "uncertain",
  undone: "undone",
  undo_failed: "undo_failed",
};

/** The report of a run's progress. Once finished, steps that never started are `skipped`. */
export function toReport(progress: RunProgress): RunReport {
  return {
    runId: progress.runId,
    intent: progress.intent,
    owner: progress.owner,
    state: progress.state,
    startedAt: progress.startedAt,
    durationMs: progress.durationMs,
    steps: progress.steps.map((s) => {
      const p = progress.status.get(s.id)!;
      const outcome = progress.finished && p.status === "pending" ? "skipped" : OUTCOME[p.status];
      return {
        id: s.id,
        title: s.title,
        kind: s.kind,
        outcome,
        ...(p.durationMs === undefined ? {} : { durationMs: p.durationMs }),
        ...(p.output === undefined ? {} : { output: p.output }),
        ...(p.error === undefined ? {} : { error: p.error }),
      };
    }),
    ...(progress.finalError ? { error: progress.finalError } : {}),
  };
}
