import { type DriverError, driverError } from "@backflip/core";
import { err, type Result, ResultAsync } from "neverthrow";
import type { FaultTable } from "../fault-injector";
import type { ManualClock } from "../fleet-clock";
import type { FleetOp } from "../fleet-ops";

/** What every simulated driver shares: the clock and the fault table. */
export interface FleetRuntime {
  readonly clock: ManualClock;
  readonly faults: FaultTable;
}

/** How one call is run: its op name, the target faults may match, its signal. */
export interface OperationSpec<V> {
  readonly op: FleetOp;
  /** The target a fault's `target` option matches, from the validated input. */
  readonly target?: (input: V) => string | undefined;
  readonly signal?: AbortSignal;
}

/** The driver name of an op's port in errors, e.g. `mock-traffic`. */
export const driverOf = (op: FleetOp): string => `mock-${op.slice(0, op.indexOf("."))}`;
/** The method part of an op, e.g. `reload`. */
export const methodOf = (op: FleetOp): string => op.slice(op.indexOf(".") + 1);

/** An error of `op` with the op's driver and method filled in. */
export function opError(
  op: FleetOp,
  reason: DriverError["reason"],
  message: string,
  extra: { hint?: string; details?: Record<string, unknown>; cause?: unknown } = {},
): DriverError {
  return driverError({ driver: driverOf(op), op: methodOf(op), reason, message, ...extra });
}

/** Waits `ms` of real time; resolves `false` early when `signal` aborts. */
export function realWait(ms: number, signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  if (ms <= 0) return new Promise((resolve) => setImmediate(() => resolve(!signal?.aborted)));
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** The `aborted` error of an op. */
export const abortedError = (op: FleetOp): DriverError =>
  opError(op, "aborted", `${methodOf(op)} was aborted by its signal`);

/**
 * Runs one simulated operation: validate the input (`invalid_input` changes nothing and
 * consumes no fault), wait any injected latency, take any injected fault, then act.
 * Always asynchronous; a throw inside `act` becomes a `failed` error, never a rejection.
 */
export function operation<V, T>(
  runtime: FleetRuntime,
  spec: OperationSpec<V>,
  validate: () => Result<V, DriverError>,
  act: (input: V) => Result<T, DriverError> | PromiseLike<Result<T, DriverError>>,
): ResultAsync<T, DriverError> {
  const run = async (): Promise<Result<T, DriverError>> => {
    runtime.faults.count(spec.op);
    const parsed = validate();
    if (parsed.isErr()) return err(parsed.error);
    const input = parsed.value;
    const target = spec.target?.(input);
    if (spec.signal?.aborted) return err(abortedError(spec.op));
    const delay = runtime.faults.delayFor(spec.op, target);
    if (delay > 0) {
      runtime.clock.advance(delay);
      if (!(await realWait(delay, spec.signal))) return err(abortedError(spec.op));
    } else {
      await Promise.resolve();
    }
    const fault = runtime.faults.take(spec.op, target);
    if (fault) return err(opError(spec.op, fault.reason, fault.message, { details: { injected: true } }));
    return await act(input);
  };
  return new ResultAsync(
    run().catch((cause: unknown) =>
      err(
        opError(spec.op, "failed", `the simulated ${methodOf(spec.op)} failed unexpectedly`, {
          cause,
        }),
      ),
    ),
  );
}
