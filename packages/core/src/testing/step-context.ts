import type { StepContext, StepHandle } from "../plan/step";
import type { Fence } from "../ports/lease-lock";

/** What {@link stepContext} may set; everything has a default. */
export interface StepContextInit {
  /** Default `test-run`. */
  readonly runId?: string;
  /** Default `staging`. */
  readonly env?: string;
  /** Default `alice`. */
  readonly actor?: string;
  /** Default: a signal that never aborts. */
  readonly signal?: AbortSignal;
  /** Default `false`. */
  readonly acknowledgeDataLoss?: boolean;
  /** The run's lease (`ctx.fence`); default: none. */
  readonly fence?: Fence;
  /** Outputs of earlier steps by step id, as `ctx.output(handle)` returns them. */
  readonly outputs?: Readonly<Record<string, unknown>>;
}

/** A {@link StepContext} for calling a step's `run`, `undo` or `reconcile` directly, keeping what it logs. */
export interface TestStepContext extends StepContext {
  /** Every `ctx.log` message, in order. */
  readonly logs: string[];
}

/**
 * Builds a step context outside a runner.
 *
 * @example
 * const ctx = stepContext({ runId: "r1", outputs: { "read-state": prior } });
 * const output = (await step.run(ctx))._unsafeUnwrap();
 */
export function stepContext(init: StepContextInit = {}): TestStepContext {
  const logs: string[] = [];
  const outputs = init.outputs ?? {};
  return {
    runId: init.runId ?? "test-run",
    env: init.env ?? "staging",
    actor: init.actor ?? "alice",
    signal: init.signal ?? new AbortController().signal,
    acknowledgeDataLoss: init.acknowledgeDataLoss ?? false,
    ...(init.fence ? { fence: init.fence } : {}),
    output: <O>(ref: StepHandle<O>) => outputs[ref.id] as O | undefined,
    log: (message) => {
      logs.push(message);
    },
    logs,
  };
}
