import type { Result } from "neverthrow";
import type { DriverError } from "../errors/driver-error";
import type { StepError } from "../errors/step-error";
import type { RollbackPlan } from "../plan/rollback-plan";
import type { Reconciled, Step, StepContext, StepHandle } from "../plan/step";
import type { Fence } from "../ports/lease-lock";
import type { EventLog } from "./event-log";
import { invokeStep } from "./invoke-step";
import type { StepErrorRecord } from "./run-event";
import type { RunProgress, StepStatus } from "./run-progress";
import { toStepErrorRecord } from "./step-error-record";

/** The run stopped like a killed process: the journal or the lease is gone. */
export type Stop = { readonly stop: "journal" | "lease" };

/** How running one step ended. */
export type Ran = "succeeded" | "failed" | "uncertain" | Stop;

/** True for a {@link Stop}. */
export const isStop = (value: unknown): value is Stop =>
  typeof value === "object" && value !== null && "stop" in value;

/** What a {@link StepExecutor} works with. */
export interface ExecutorInput {
  readonly plan: RollbackPlan;
  readonly progress: RunProgress;
  readonly log: EventLog;
  readonly signal?: AbortSignal | undefined;
  readonly acknowledgeDataLoss: boolean;
  /** The run's lease: every step's `ctx.fence`. */
  readonly fence?: Fence | undefined;
}

function toJson(value: unknown): { value: unknown; problem?: string } {
  if (value === undefined) return { value };
  try {
    const text = JSON.stringify(value);
    return { value: text === undefined ? undefined : JSON.parse(text) };
  } catch (cause) {
    return { value: undefined, problem: (cause as Error).message };
  }
}

/**
 * Runs, reconciles and undoes single steps, journaling each event before going on.
 * Outputs pass through JSON first, so in-process undo sees exactly what a resumed run
 * would read from the journal.
 */
export class StepExecutor {
  readonly #in: ExecutorInput;
  /** Interrupted steps this process already resolved (reconciled, re-run or found uncertain). */
  readonly resolved = new Set<string>();
  #cause: DriverError | undefined;

  /** An executor for one run. */
  constructor(input: ExecutorInput) {
    this.#in = input;
  }

  /** The driver error behind the first failure this process saw. */
  get cause(): DriverError | undefined {
    return this.#cause;
  }

  #status(step: Step): StepStatus {
    return this.#in.progress.status.get(step.id)?.status ?? "pending";
  }

  #context(step: Step, signal: AbortSignal): StepContext {
    const { plan, progress, log, acknowledgeDataLoss, fence } = this.#in;
    return {
      runId: log.runId,
      env: plan.intent.env,
      actor: plan.intent.actor,
      signal,
      acknowledgeDataLoss,
      ...(fence ? { fence } : {}),
      output: <O>(ref: StepHandle<O>) => progress.status.get(ref.id)?.output as O | undefined,
      log: (message: string) => log.enqueue({ type: "step.log", stepId: step.id, message: String(message) }),
    };
  }

  /** Starts the given checks one after the other (each `step.started` journaled first), then awaits them all. */
  async runGroup(steps: readonly Step[]): Promise<Ran[]> {
    const running: Promise<Ran>[] = [];
    for (const step of steps) {
      const resumed = this.#status(step) === "running";
      if (
        !(await this.#in.log.emit({ type: "step.started", stepId: step.id, ...(resumed ? { resumed } : {}) }))
      ) {
        running.push(Promise.resolve({ stop: "journal" }));
        break;
      }
      running.push(this.#complete(step, this.#in.signal));
    }
    return Promise.all(running);
  }

  /** Journals `step.started`, then runs the step. */
  async runStep(step: Step, resumed: boolean, parent = this.#in.signal): Promise<Ran> {
    const started = await this.#in.log.emit({
      type: "step.started",
      stepId: step.id,
      ...(resumed ? { resumed } : {}),
    });
    return started ? this.#complete(step, parent) : { stop: "journal" };
  }

  async #complete(step: Step, parent: AbortSignal | undefined): Promise<Ran> {
    const { log } = this.#in;
    const start = log.elapsed();
    const result = await invokeStep<unknown>(step.id, (signal) => step.run(this.#context(step, signal)), {
      timeoutMs: step.timeoutMs,
      parent,
    });
    const durationMs = log.elapsed() - start;
    if (result.isErr()) return this.#failed(step, result.error, durationMs);
    const output = toJson(result.value);
    if (output.problem) {
      log.enqueue({
        type: "step.log",
        stepId: step.id,
        message: `output is not JSON-serialisable (${output.problem}): not journaled, undo gets undefined`,
      });
    }
    const ok = await log.emit({ type: "step.succeeded", stepId: step.id, durationMs, output: output.value });
    return ok ? "succeeded" : { stop: "journal" };
  }

  async #failed(step: Step, error: StepError, durationMs: number): Promise<Ran> {
    this.#cause ??= error.cause;
    const error_ = toStepErrorRecord(error);
    const ok = await this.#in.log.emit({ type: "step.failed", stepId: step.id, durationMs, error: error_ });
    return ok ? "failed" : { stop: "journal" };
  }

  /**
   * A step that was started but never finished (the process died): reconcile it if it
   * can tell whether it took effect, re-run it if it is idempotent or does not mutate
   * (checks, verifications), otherwise leave it `uncertain` and never run it again.
   * While reverting, the run signal is not passed on: an abort asked for this revert.
   */
  async resolveInterrupted(step: Step, reverting: boolean): Promise<Ran> {
    this.resolved.add(step.id);
    const { log } = this.#in;
    const parent = reverting ? undefined : this.#in.signal;
    if (step.reconcile) {
      const start = log.elapsed();
      const answer: Result<Reconciled<unknown>, StepError> = await invokeStep(
        step.id,
        (signal) => step.reconcile!(this.#context(step, signal)),
        { timeoutMs: step.timeoutMs, parent },
      );
      const durationMs = log.elapsed() - start;
      if (answer.isOk() && answer.value.done) {
        log.enqueue({ type: "step.log", stepId: step.id, message: "interrupted; reconcile: it took effect" });
        const output = toJson(answer.value.output).value;
        return (await log.emit({ type: "step.succeeded", stepId: step.id, durationMs, output }))
          ? "succeeded"
          : { stop: "journal" };
      }
      if (answer.isOk()) {
        log.enqueue({
          type: "step.log",
          stepId: step.id,
          message: "interrupted; reconcile: it did not take effect",
        });
        if (!reverting) return this.runStep(step, true, parent);
        return this.#failed(
          step,
          {
            _tag: "StepError",
            stepId: step.id,
            reason: "aborted",
            message: "interrupted before it took effect",
          },
          durationMs,
        );
      }
      log.enqueue({
        type: "step.log",
        stepId: step.id,
        message: `reconcile failed: ${answer.error.message}`,
      });
    }
    if (step.idempotent || step.kind !== "change") return this.runStep(step, true, parent);
    const ok = await log.emit({
      type: "step.log",
      stepId: step.id,
      message: "interrupted; not idempotent and no reconcile: effect unknown, not run again",
    });
    return ok ? "uncertain" : { stop: "journal" };
  }

  /** Undoes a completed change with its recorded output (a missing `undo` counts as a failed one). */
  async undoStep(step: Step): Promise<"undone" | "failed" | Stop> {
    const { log, progress } = this.#in;
    if (!step.undo) {
      const error: StepErrorRecord = {
        _tag: "StepError",
        stepId: step.id,
        reason: "unsupported",
        message: `step ${step.id} has no undo: its change stays applied`,
        hint: `reverse ${step.id} by hand (its commands are in the plan), then the older changes`,
      };
      const ok = await log.emit({ type: "step.undo_failed", stepId: step.id, durationMs: 0, error });
      return ok ? "failed" : { stop: "journal" };
    }
    if (!(await log.emit({ type: "step.undo.started", stepId: step.id }))) return { stop: "journal" };
    const start = log.elapsed();
    const output = progress.status.get(step.id)?.output;
    const result = await invokeStep<void>(
      step.id,
      (signal) => step.undo!(this.#context(step, signal), output),
      {
        timeoutMs: step.timeoutMs,
      },
    );
    const durationMs = log.elapsed() - start;
    if (result.isOk()) {
      return (await log.emit({ type: "step.undone", stepId: step.id, durationMs }))
        ? "undone"
        : { stop: "journal" };
    }
    this.#cause ??= result.error.cause;
    const error = toStepErrorRecord(result.error);
    const ok = await log.emit({ type: "step.undo_failed", stepId: step.id, durationMs, error });
    return ok ? "failed" : { stop: "journal" };
  }
}
