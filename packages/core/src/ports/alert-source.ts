import type { ResultAsync } from "neverthrow";
import type { DriverError } from "../errors/driver-error";

/** Which alert to ask about. */
export interface AlertQuery {
  /** The alert name, e.g. `VezaDeployFailed`. */
  readonly name: string;
  /** Labels the alert must carry, e.g. `{ env: "staging" }`. */
  readonly labels?: Readonly<Record<string, string>>;
}

/** Tells whether an alert fires: the runbook's "verify `VezaDeployFailed` cleared". */
export interface AlertSource {
  readonly name: string;
  /** True when a matching alert is firing; `unavailable` when the source cannot be reached. */
  isFiring(query: AlertQuery): ResultAsync<boolean, DriverError>;
  /** Resolves when no matching alert fires; `timeout` at the deadline. */
  waitUntilCleared(
    query: AlertQuery,
    options: { deadlineMs: number; pollMs?: number; signal?: AbortSignal },
  ): ResultAsync<void, DriverError>;
}
