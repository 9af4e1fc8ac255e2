import type { DriverError } from "../errors/driver-error";
import type { RollbackPlan } from "../plan/rollback-plan";
import type { Step } from "../plan/step";
import type { Fence } from "../ports/lease-lock";
import type { EventLog } from "./event-log";
import type { StepErrorRecord } from "./run-event";
import type { RunProgress, StepStatus } from "./run-progress";
import type { RunState } from "./run-state";
import { isStop, StepExecutor, type Stop } from "./step-executor";
import { transition } from "./transitions";

/** What the engine needs to drive a run from wherever its progress stands. */
export interface EngineInput {
  readonly plan: RollbackPlan;
  /** The run's progress; the event log folds every journaled event into it. */
  readonly progress: RunProgress;
  readonly log: EventLog;
  readonly signal?: AbortSignal | undefined;
  readonly acknowledgeDataLoss: boolean;
  /** `revert`: undo completed changes instead of going on (resume only). */
  readonly mode: "continue" | "revert";
  /**
   * Asked at every safe point: `false` once the run cannot prove it holds its lease. The
   * run then stops there, writing nothing more, unless it can revert (see {@link leaseTaken}).
   */
  readonly holdsLease: () => Promise<boolean>;
  /**
   * True when another holder is known to have the lease (a renewal answered `conflict`).
   * A run that merely cannot prove its lease any more (the store does not answer) and has
   * completed changes reverts them instead of stopping: every undo and journal append
   * carries the run's fence, so a store or resource that a newer holder has written
   * refuses it, and the run stops there.
   */
  readonly leaseTaken: () => boolean;
  /** The run's lease, handed to every step (`ctx.fence`). */
  readonly fence?: Fence | undefined;
}

/** How the engine ended: `finished` (plan.finished journaled) or stopped like a killed process. */
export interface EngineEnd {
  readonly stopped: false | "journal" | "lease";
  /** The driver error behind the first step failure, when this process saw it. */
  readonly cause?: DriverError;
  /** True when the run reverted because it could no longer prove it held its lease. */
  readonly leaseLost?: boolean;
}

type Next = { readonly to: RunState; readonly note?: string } | "finish" | Stop;

/** The record a step gets when it was interrupted and its effect cannot be known. */
export function uncertainRecord(stepId: string): StepErrorRecord {
  return {
    _tag: "StepError",
    stepId,
    reason: "failed",
    message: `step ${stepId} was interrupted and is neither idempotent nor reconcilable: its effect is unknown, so it was not run again`,
    hint: `check by hand whether ${stepId} took effect, and undo it by hand if it did`,
  };
}

/** Consecutive checks sharing a `group` run together; a check without one is its own group. */
function checkGroups(steps: readonly Step[]): Step[][] {
  const groups: Step[][] = [];
  for (const step of steps) {
    const last = groups.at(-1);
    if (last && step.group !== undefined && last[0]!.group === step.group) last.push(step);
    else groups.push([step]);
  }
  return groups;
}

/**
 * Drives one run through the transition table, from wherever its progress stands (a
 * fresh run starts at `planned`; a resumed run wherever its journal stopped). Every
 * decision reads the progress folded from journaled events, so what the journal says
 * is what happened: a completed step is never run again.
 */
export class RunEngine {
  readonly #in: EngineInput;
  readonly #checks: Step[];
  readonly #changes: Step[];
  readonly #verifies: Step[];
  readonly #steps: StepExecutor;
  /** Set once the run reverts for a lease it cannot prove: its undos then rely on fences. */
  #revertingUnleased = false;

  /** An engine for one run. */
  constructor(input: EngineInput) {
    this.#in = input;
    this.#checks = input.plan.steps.filter((s) => s.kind === "check");
    this.#changes = input.plan.steps.filter((s) => s.kind === "change");
    this.#verifies = input.plan.steps.filter((s) => s.kind === "verify");
    this.#steps = new StepExecutor(input);
  }

  /** Runs until `plan.finished` is journaled, or until the journal or the lease is lost. */
  async drive(): Promise<EngineEnd> {
    const { progress, log } = this.#in;
    for (;;) {
      const next = await this.#next(progress.state);
      if (isStop(next)) return this.#end(next.stop);
      if (next === "finish") {
        const error = this.#finalError();
        const done = await log.emit({
          type: "plan.finished",
          state: progress.state,
          durationMs: log.elapsed(),
          ...(error ? { error } : {}),
        });
        return this.#end(done ? false : "journal");
      }
      const moved = transition(progress.state, next.to);
      if (moved.isErr()) throw new Error(moved.error.message);
      const done = await log.emit({
        type: "plan.transition",
        from: progress.state,
        to: moved.value,
        ...(next.note ? { note: next.note } : {}),
      });
      if (!done) return this.#end("journal");
    }
  }

  #end(stopped: false | "journal" | "lease"): EngineEnd {
    const { cause } = this.#steps;
    return { stopped, ...(cause ? { cause } : {}), ...(this.#revertingUnleased ? { leaseLost: true } : {}) };
  }

  /**
   * Where a run goes when its lease cannot be proven at a safe point of the changing or
   * verifying phase: it reverts completed changes under its fence, unless another holder
   * is known to have the lease or nothing needs undoing (then it stops, like a killed run).
   */
  #leaseGone(): Next {
    if (this.#in.leaseTaken() || !this.#needsRevert()) return { stop: "lease" };
    this.#revertingUnleased = true;
    return {
      to: "reverting",
      note: "the lease could no longer be proven held: reverting completed changes under the run's fence",
    };
  }

  #status(step: Step): StepStatus {
    return this.#in.progress.status.get(step.id)?.status ?? "pending";
  }

  #finalError(): StepErrorRecord | undefined {
    const { progress } = this.#in;
    if (progress.state === "succeeded") return undefined;
    if (progress.state === "revert_failed") {
      const uncertain = this.#changes.find((s) => this.#status(s) === "running");
      return progress.undoFailure ?? (uncertain ? uncertainRecord(uncertain.id) : progress.failure);
    }
    return progress.failure;
  }

  /**
   * A safe point: stop when the journal is gone or the lease cannot be proven held;
   * `abort` when the signal fired.
   */
  async #safePoint(): Promise<Stop | "abort" | undefined> {
    if (this.#in.log.failure) return { stop: "journal" };
    if (!(await this.#in.holdsLease())) return { stop: "lease" };
    return this.#in.signal?.aborted ? "abort" : undefined;
  }

  #next(state: RunState): Promise<Next> | Next {
    switch (state) {
      case "planned":
        return this.#in.mode === "revert" ? { to: "aborted", note: "resumed to revert" } : { to: "locked" };
      case "locked":
        return this.#in.mode === "revert" ? { to: "aborted", note: "resumed to revert" } : { to: "checking" };
      case "checking":
        return this.#checking();
      case "changing":
        return this.#forward(this.#changes, { to: "verifying" });
      case "verifying":
        return this.#forward(this.#verifies, { to: "succeeded" });
      case "aborted":
        return this.#needsRevert() ? { to: "reverting", note: "undoing completed changes" } : "finish";
      case "reverting":
        return this.#reverting();
      default:
        return "finish";
    }
  }

  #needsRevert(): boolean {
    return this.#changes.some((s) => ["succeeded", "undoing", "running"].includes(this.#status(s)));
  }

  async #checking(): Promise<Next> {
    const failed = this.#checks.find((s) => this.#status(s) === "failed");
    if (failed) return { to: "refused", note: `check ${failed.id} failed` };
    if (this.#in.mode === "revert")
      return { to: "aborted", note: "resumed to revert: no change had started" };
    for (const group of checkGroups(this.#checks)) {
      const todo = group.filter((s) => this.#status(s) !== "succeeded");
      if (todo.length === 0) continue;
      const point = await this.#safePoint();
      if (isStop(point)) return point;
      if (point === "abort") return { to: "aborted", note: "aborted before the checks finished" };
      const results = await this.#steps.runGroup(todo);
      const stop = results.find(isStop);
      if (stop) return stop;
      const bad = todo.find((_, i) => results[i] !== "succeeded");
      if (bad) {
        return this.#in.signal?.aborted
          ? { to: "aborted", note: `aborted during check ${bad.id}` }
          : { to: "refused", note: `check ${bad.id} failed` };
      }
    }
    return this.#changes.length > 0 ? { to: "changing" } : { to: "verifying", note: "no change steps" };
  }

  /** The changing and verifying phases: one step at a time, in plan order. */
  async #forward(steps: readonly Step[], done: Next): Promise<Next> {
    if (this.#in.mode === "revert") return { to: "reverting", note: "resumed to revert" };
    for (const step of steps) {
      const status = this.#status(step);
      if (status === "succeeded") continue;
      if (status === "failed") return { to: "reverting", note: `step ${step.id} failed` };
      const point = await this.#safePoint();
      if (isStop(point)) return point.stop === "lease" ? this.#leaseGone() : point;
      if (point === "abort") return { to: "aborted", note: `aborted before step ${step.id}` };
      const ran =
        status === "running"
          ? await this.#steps.resolveInterrupted(step, false)
          : await this.#steps.runStep(step, false);
      if (isStop(ran)) return ran;
      if (ran === "uncertain")
        return { to: "reverting", note: `step ${step.id} was interrupted: effect unknown` };
      if (ran === "failed") {
        return this.#in.signal?.aborted
          ? { to: "aborted", note: `aborted during step ${step.id}` }
          : { to: "reverting", note: `step ${step.id} failed` };
      }
    }
    return done;
  }

  /** Undoes completed changes newest first; stops at the first undo that fails. */
  async #reverting(): Promise<Next> {
    for (const step of [...this.#changes].reverse()) {
      if (this.#in.log.failure) return { stop: "journal" };
      if (this.#revertingUnleased ? this.#in.leaseTaken() : !(await this.#in.holdsLease()))
        return { stop: "lease" };
      if (this.#status(step) === "running" && !this.#steps.resolved.has(step.id)) {
        const ran = await this.#steps.resolveInterrupted(step, true);
        if (isStop(ran)) return ran;
      }
      const status = this.#status(step);
      if (status === "undo_failed") return { to: "revert_failed", note: `undo of ${step.id} failed` };
      if (status !== "succeeded" && status !== "undoing") continue;
      const undone = await this.#steps.undoStep(step);
      if (isStop(undone)) return undone;
      if (undone === "failed") return { to: "revert_failed", note: `undo of ${step.id} failed` };
    }
    const uncertain = this.#changes.filter((s) => this.#status(s) === "running").map((s) => s.id);
    return uncertain.length > 0
      ? { to: "revert_failed", note: `effect unknown: ${uncertain.join(", ")}` }
      : { to: "reverted" };
  }
}
