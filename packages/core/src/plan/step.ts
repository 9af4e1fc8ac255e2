import type { ResultAsync } from "neverthrow";
import type { StepError } from "../errors/step-error";
import type { Fence } from "../ports/lease-lock";
import type { Action } from "./action";

/** `check` reads, `change` mutates (and may be undone), `verify` confirms after the changes. */
export type StepKind = "check" | "change" | "verify";

declare const OUTPUT: unique symbol;

/**
 * A typed reference to a step's output: `ctx.output(handle)` returns that type. Every
 * {@link Step} is its own handle; {@link stepHandle} makes one from an id, for a reader
 * built apart from the step.
 */
export interface StepHandle<O> {
  /** The step's id. */
  readonly id: string;
  /** Carries the output type only; never set. */
  readonly [OUTPUT]?: O;
}

/** A handle to the output of the step with `id`, typed `O`. */
export function stepHandle<O>(id: string): StepHandle<O> {
  return { id };
}

/** What a step sees while it runs. */
export interface StepContext {
  /** The run this step belongs to. */
  readonly runId: string;
  /** The environment the plan targets. */
  readonly env: string;
  /** Who runs the plan. */
  readonly actor: string;
  /** Aborted on the run's AbortSignal or when the step's `timeoutMs` passes: pass it to every driver call. */
  readonly signal: AbortSignal;
  /** True when the operator acknowledged data loss for destructive steps. */
  readonly acknowledgeDataLoss: boolean;
  /** The run's lease: pass it to every driver write that can be fenced, so a stale holder is refused. */
  readonly fence?: Fence;
  /** The output of an earlier, completed step of the same run (also after a resume), typed by its handle. */
  output<O>(step: StepHandle<O>): O | undefined;
  /** Reports progress: becomes a `step.log` event (and a journal line). Never pass secrets. */
  log(message: string): void;
}

/** A reconcile answer: did an interrupted change take effect? */
export type Reconciled<O> = { readonly done: true; readonly output: O } | { readonly done: false };

/**
 * One unit of a rollback, as a value. Outputs must be JSON-serialisable: the journal
 * carries them so `undo` works after a resume.
 */
export interface Step<O = unknown> extends StepHandle<O> {
  /** Unique within its plan; stable across plan rebuilds (resume matches on it). */
  readonly id: string;
  /** One line for a person, e.g. "Verify blue containers are RUNNING". */
  readonly title: string;
  readonly kind: StepKind;
  /** Checks sharing a group run in parallel; groups run in order of first appearance. */
  readonly group?: string;
  /** Per-step timeout in milliseconds. */
  readonly timeoutMs?: number;
  /** Loses data: refused unless the run acknowledges data loss. */
  readonly destructive?: boolean;
  /** Safe to run again after a crash mid-step (resume re-runs it). */
  readonly idempotent?: boolean;
  /**
   * The exact commands, requests and file changes it would make, where: the dry run shows
   * these (rendered with `renderAction`). Supplied by the drivers that do the work.
   */
  describe(): readonly Action[];
  /** Does the work. */
  run(ctx: StepContext): ResultAsync<O, StepError>;
  /** Reverses a completed `run`, given its output. */
  undo?(ctx: StepContext, output: O): ResultAsync<void, StepError>;
  /** After a crash mid-step: inspects the world to tell whether the step took effect. */
  reconcile?(ctx: StepContext): ResultAsync<Reconciled<O>, StepError>;
}

/** Declares a step with its output type inferred from `run`. */
export function defineStep<O>(step: Step<O>): Step<O> {
  return step;
}
