import type { Result } from "neverthrow";
import type { DriverError } from "../errors/driver-error";
import type { PlanIntent } from "../plan/plan-intent";
import type { RollbackPlan } from "../plan/rollback-plan";
import type { Journal } from "../ports/journal";
import type { LeaseLock } from "../ports/lease-lock";
import type { RunEvent } from "./run-event";

/** Options for `runPlan`. */
export interface RunOptions {
  /** Where every event is appended (fsync'd) before the next transition. */
  readonly journal: Journal;
  /** The per-environment lease lock (key: the plan's env). */
  readonly lock: LeaseLock;
  /** Lease owner recorded in the lock and journal (default `user@host pid N`). */
  readonly owner?: string;
  /** The run id (default: a new time-ordered id). */
  readonly runId?: string;
  /** Stops the run at the next safe point, then reverts completed changes. */
  readonly signal?: AbortSignal;
  /** Receives every event as it happens (progress bars, logs). */
  readonly onEvent?: (event: RunEvent) => void;
  /** Required to run a plan with destructive steps. */
  readonly acknowledgeDataLoss?: boolean;
  /**
   * Lease time-to-live in milliseconds (default 60000), renewed every third of it while
   * the run lasts. Each lock call has a deadline of a third of it, and the run stops
   * counting on the lease a sixth of it before its expiry (see `holdLease`).
   */
  readonly lockTtlMs?: number;
  /**
   * The clock (tests pass a deterministic one). The run measures how long its lease is
   * held on it, from when it asked; the lock's clock need not agree with it.
   */
  readonly now?: () => Date;
}

/** Options for `resumeRun`: the same, plus how to rebuild the plan from its recorded intent. */
export interface ResumeOptions extends Omit<RunOptions, "runId"> {
  /** Rebuilds the same plan (same step ids) from the intent in the journal. */
  readonly rebuild: (intent: PlanIntent) => Result<RollbackPlan, DriverError>;
  /** `continue` (default) finishes the run when safe; `revert` undoes its completed changes. */
  readonly mode?: "continue" | "revert";
  /** Break the lease left by the killed run if it is stale (required to resume a killed run whose lease is still recorded). */
  readonly breakStaleLock?: boolean;
}
