/** Why a driver operation failed: a closed set every driver maps its backend's errors onto. */
export type DriverErrorReason =
  | "not_found"
  | "conflict"
  | "unauthorized"
  | "invalid_input"
  | "timeout"
  | "unavailable"
  | "failed"
  | "unsupported"
  | "aborted";

/**
 * A failed driver operation, as a value. Drivers return it inside `ResultAsync`;
 * nothing throws across a package boundary. Messages never contain secrets.
 */
export interface DriverError {
  readonly _tag: "DriverError";
  /** The driver that failed, e.g. `incus`, `haproxy`, `local-shell`. */
  readonly driver: string;
  /** The operation that failed, e.g. `stop`, `validate`, `run`. */
  readonly op: string;
  /** The closed reason an operator or a runner can branch on. */
  readonly reason: DriverErrorReason;
  /** What failed and why, in words an operator can act on (the backend's own message kept). */
  readonly message: string;
  /** The runbook's next move, e.g. "target color not RUNNING: use Path 2". */
  readonly hint?: string;
  /** Structured facts about the failure (a lock's holder, an HTTP status, an exit code). */
  readonly details?: Readonly<Record<string, unknown>>;
  /** The underlying error, kept for debugging; never rendered into messages. */
  readonly cause?: unknown;
}

/** Fields accepted by {@link driverError}. */
export interface DriverErrorInit {
  driver: string;
  op: string;
  reason: DriverErrorReason;
  message: string;
  hint?: string;
  details?: Record<string, unknown>;
  cause?: unknown;
}

/** Builds a {@link DriverError}. */
export function driverError(init: DriverErrorInit): DriverError {
  const { hint, details, cause, ...rest } = init;
  return {
    _tag: "DriverError",
    ...rest,
    ...(hint === undefined ? {} : { hint }),
    ...(details === undefined ? {} : { details }),
    ...(cause === undefined ? {} : { cause }),
  };
}

/** True when `value` is a {@link DriverError}. */
export function isDriverError(value: unknown): value is DriverError {
  return typeof value === "object" && value !== null && (value as { _tag?: unknown })._tag === "DriverError";
}

/** Renders an error as one line: `[driver.op] reason: message (hint: …)`. */
export function formatDriverError(error: DriverError): string {
  const hint = error.hint ? ` (next: ${error.hint})` : "";
  return `[${error.driver}.${error.op}] ${error.reason}: ${error.message}${hint}`;
}
