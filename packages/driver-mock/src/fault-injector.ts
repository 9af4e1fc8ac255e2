import type { DriverError, DriverErrorReason } from "@backflip/core";
import { invalidInput } from "@backflip/core/driver-kit";
import { err, ok, type Result } from "neverthrow";
import { FLEET_OPS, type FleetOp } from "./fleet-ops";

/** Options for {@link FaultInjector.fail}. */
export interface FailOptions {
  /** How many calls fail before the fault disarms itself (default: every call until {@link FaultInjector.clear}). */
  readonly times?: number;
  /** The error message (default: `injected fault: <op> <reason>`). */
  readonly message?: string;
  /**
   * Only calls on this target fail: a container name (`host.*`, `shell.run`), a URL
   * (`probe.check`), a component (`registry.*`), a workflow file (`pipeline.dispatch`),
   * a dataset (`snapshots.*`), a run id (`journal.*`) or a key (`lock.*`).
   */
  readonly target?: string;
}

/** Makes the fleet's operations fail or slow down, by op name `"<port>.<method>"` (see {@link FLEET_OPS}). */
export interface FaultInjector {
  /** The next calls of `op` fail with `reason` (nothing changes in the world). `invalid_input` for an unknown op. */
  fail(op: string, reason: DriverErrorReason, options?: FailOptions): Result<void, DriverError>;
  /**
   * Every call of `op` first waits `ms` of real time (aborted early by the call's signal,
   * when it has one) and moves the fleet clock by `ms`. `invalid_input` for an unknown op.
   */
  latency(op: string, ms: number, options?: { readonly target?: string }): Result<void, DriverError>;
  /** Removes the faults and latencies of `op`, or all of them. */
  clear(op?: string): void;
  /** How many times `op` was called (validated calls and failed ones alike), since the fleet was created. */
  calls(op: string): number;
}

interface ArmedFault {
  readonly reason: DriverErrorReason;
  remaining: number;
  readonly message?: string;
  readonly target?: string;
}

const isOp = (op: string): op is FleetOp => (FLEET_OPS as readonly string[]).includes(op);

/** The injector's implementation; the fleet's drivers consult it before every effect. */
export class FaultTable implements FaultInjector {
  readonly #faults = new Map<FleetOp, ArmedFault[]>();
  readonly #latency = new Map<FleetOp, { ms: number; target?: string }[]>();
  readonly #calls = new Map<string, number>();

  fail(op: string, reason: DriverErrorReason, options: FailOptions = {}): Result<void, DriverError> {
    if (!isOp(op)) return err(unknownOp("fail", op));
    const times = options.times ?? Number.POSITIVE_INFINITY;
    if (!(times >= 1) || (Number.isFinite(times) && !Number.isInteger(times))) {
      return err(invalidInput("mock-faults", "fail", `times: expected a whole number ≥ 1 (got ${times})`));
    }
    const list = this.#faults.get(op) ?? [];
    list.push({
      reason,
      remaining: times,
      ...(options.message === undefined ? {} : { message: options.message }),
      ...(options.target === undefined ? {} : { target: options.target }),
    });
    this.#faults.set(op, list);
    return ok(undefined);
  }

  latency(op: string, ms: number, options: { readonly target?: string } = {}): Result<void, DriverError> {
    if (!isOp(op)) return err(unknownOp("latency", op));
    if (!Number.isFinite(ms) || ms < 0) {
      return err(invalidInput("mock-faults", "latency", `ms: expected a finite number ≥ 0 (got ${ms})`));
    }
    const list = this.#latency.get(op) ?? [];
    list.push({ ms, ...(options.target === undefined ? {} : { target: options.target }) });
    this.#latency.set(op, list);
    return ok(undefined);
  }

  clear(op?: string): void {
    if (op === undefined) {
      this.#faults.clear();
      this.#latency.clear();
      return;
    }
    if (isOp(op)) {
      this.#faults.delete(op);
      this.#latency.delete(op);
    }
  }

  calls(op: string): number {
    return this.#calls.get(op) ?? 0;
  }

  /** Counts one call of `op`. */
  count(op: FleetOp): void {
    this.#calls.set(op, this.calls(op) + 1);
  }

  /** The total latency armed for a call of `op` on `target`. */
  delayFor(op: FleetOp, target: string | undefined): number {
    return (this.#latency.get(op) ?? [])
      .filter((l) => l.target === undefined || l.target === target)
      .reduce((sum, l) => sum + l.ms, 0);
  }

  /** Consumes the first armed fault matching the call, if any. */
  take(op: FleetOp, target: string | undefined): { reason: DriverErrorReason; message: string } | null {
    const list = this.#faults.get(op) ?? [];
    const fault = list.find((f) => f.target === undefined || f.target === target);
    if (!fault) return null;
    fault.remaining -= 1;
    if (fault.remaining <= 0) list.splice(list.indexOf(fault), 1);
    return { reason: fault.reason, message: fault.message ?? `injected fault: ${op} ${fault.reason}` };
  }

  /** True when a fault is armed for the call, without consuming it. */
  armed(op: FleetOp, target: string | undefined): DriverErrorReason | null {
    const fault = (this.#faults.get(op) ?? []).find((f) => f.target === undefined || f.target === target);
    return fault ? fault.reason : null;
  }
}

function unknownOp(method: string, op: string): DriverError {
  return invalidInput(
    "mock-faults",
    method,
    `unknown op "${op}": expected "<port>.<method>", one of ${FLEET_OPS.join(", ")}`,
  );
}
