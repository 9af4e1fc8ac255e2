import type { DriverError } from "../errors/driver-error";
import type { RunReport } from "./run-report";

/**
 * Why a run did not succeed.
 * - `invalid_input`: bad plan or options; nothing ran.
 * - `lock_held`: another run holds the environment's lease (`owner` says who, `stale` whether it expired).
 * - `needs_acknowledgement`: a destructive step and no `acknowledgeDataLoss`; nothing ran.
 * - `refused`: a check failed; nothing changed.
 * - `reverted`: a change or verification failed; completed changes were undone.
 * - `revert_failed`: an undo failed too (or an interrupted change's effect is unknown): act by hand.
 * - `aborted`: the AbortSignal fired; completed changes were undone.
 * - `journal_failed`: the journal could not be written; the run stopped.
 * - `not_found`: no such run in the journal (resume).
 */
export type RunErrorKind =
  | "invalid_input"
  | "lock_held"
  | "needs_acknowledgement"
  | "refused"
  | "reverted"
  | "revert_failed"
  | "aborted"
  | "journal_failed"
  | "not_found";

/** A run that did not succeed, as a value. */
export interface RunError {
  readonly _tag: "RunError";
  readonly kind: RunErrorKind;
  readonly runId?: string;
  /** What happened, for an operator. */
  readonly message: string;
  /** The runbook's next move. */
  readonly hint?: string;
  /** For `lock_held`: the lease holder and whether the lease is stale. */
  readonly owner?: string;
  readonly stale?: boolean;
  /** The run's report when steps ran. */
  readonly report?: RunReport;
  readonly cause?: DriverError;
}
