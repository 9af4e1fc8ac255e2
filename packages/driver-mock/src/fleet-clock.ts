import type { DriverError } from "@backflip/core";
import { invalidInput } from "@backflip/core/driver-kit";
import { err, ok, type Result } from "neverthrow";

/** The simulated fleet's deterministic clock: time moves only when something advances it. */
export interface FleetClock {
  /** The current simulated time (a fresh `Date`). */
  now(): Date;
  /** Moves time forward by `ms` (a finite number ≥ 0) and returns the new time; `invalid_input` otherwise. */
  advance(ms: number): Result<Date, DriverError>;
}

/** How the fleet clock moves: only when advanced (`manual`), or also with real time (`realtime`). */
export type ClockMode = "manual" | "realtime";

/** The clock's implementation; the fleet's drivers share one. */
export class ManualClock implements FleetClock {
  #ms: number;
  readonly #realStart: number | null;

  /** Starts at `start`; in `realtime` mode it also moves with the system clock. */
  constructor(start: Date, mode: ClockMode = "manual") {
    this.#ms = start.getTime();
    this.#realStart = mode === "realtime" ? Date.now() : null;
  }

  now(): Date {
    return new Date(this.epochMs());
  }

  advance(ms: number): Result<Date, DriverError> {
    if (!Number.isFinite(ms) || ms < 0) {
      return err(
        invalidInput("mock-clock", "advance", `expected a finite number of milliseconds ≥ 0 (got ${ms})`),
      );
    }
    this.#ms += ms;
    return ok(this.now());
  }

  /** Milliseconds since the epoch, for internal arithmetic. */
  epochMs(): number {
    return this.#realStart === null ? this.#ms : this.#ms + (Date.now() - this.#realStart);
  }
}
