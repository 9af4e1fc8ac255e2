import type { ResultAsync } from "neverthrow";
import type { DriverError } from "../errors/driver-error";
import type { Action } from "../plan/action";

/** Every status a workflow run can have (Forgejo's raw values), as a list. */
export const RUN_STATUSES = [
  "unknown",
  "waiting",
  "running",
  "success",
  "failure",
  "cancelled",
  "skipped",
  "blocked",
] as const;

/** A workflow run's status (Forgejo's raw values). Final: success, failure, cancelled, skipped. */
export type RunStatus = (typeof RUN_STATUSES)[number];

/** The final statuses of a workflow run. */
export const FINAL_RUN_STATUSES: readonly RunStatus[] = ["success", "failure", "cancelled", "skipped"];

/** A workflow dispatch: the "Run workflow" button. */
export interface DispatchRequest {
  /** The workflow file name, e.g. `rollback.yml`. */
  readonly workflow: string;
  /** The git ref to run it on, e.g. `main`. */
  readonly ref: string;
  /** Inputs, all strings (booleans and numbers as strings). */
  readonly inputs: Readonly<Record<string, string>>;
}

/** A workflow run. */
export interface PipelineRun {
  /** The run id (the API's id, not the run number). */
  readonly id: number;
  /** The per-repository run number, when known. */
  readonly runNumber?: number;
  readonly status: RunStatus;
  /** A link for a person, when known. */
  readonly url?: string;
}

/** Options for {@link Pipeline.follow}. */
export interface FollowOptions {
  /** Give up (`timeout`) after this many milliseconds. */
  readonly deadlineMs: number;
  /** Poll interval in milliseconds. */
  readonly pollMs?: number;
  readonly signal?: AbortSignal;
  /** Called whenever the status changes. */
  readonly onStatus?: (run: PipelineRun) => void;
}

/** A {@link Pipeline} call a dry run describes (a followed run's id is known only when it runs). */
export type PipelineOperation =
  | { readonly op: "dispatch"; readonly request: DispatchRequest }
  | { readonly op: "follow"; readonly pollMs: number };

/** Dispatches workflows and follows their runs. Implemented by driver-forgejo. */
export interface Pipeline {
  readonly name: string;
  /** Dispatches a workflow and returns its run. */
  dispatch(request: DispatchRequest): ResultAsync<PipelineRun, DriverError>;
  /** One run's current state. */
  getRun(id: number): ResultAsync<PipelineRun, DriverError>;
  /** Polls a run until it reaches a final status. */
  follow(id: number, options: FollowOptions): ResultAsync<PipelineRun, DriverError>;
  /** Cancels a run; a no-op when it already finished. */
  cancel(id: number): ResultAsync<void, DriverError>;
  /** The dry run of one call: its HTTP requests with the real URLs (never a token). Optional: else a note. */
  describe?(operation: PipelineOperation): readonly Action[];
}
