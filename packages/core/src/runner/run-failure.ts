import type { DriverError } from "../errors/driver-error";
import type { RunError, RunErrorKind } from "./run-error";
import type { RunReport } from "./run-report";

/** Optional facts a {@link RunError} carries. */
export interface RunFailureExtra {
  readonly runId?: string;
  readonly hint?: string;
  readonly owner?: string;
  readonly stale?: boolean;
  readonly report?: RunReport;
  readonly cause?: DriverError;
}

/** Builds a {@link RunError}, leaving out the facts that are not there. */
export function runFailure(kind: RunErrorKind, message: string, extra: RunFailureExtra = {}): RunError {
  const fields = Object.entries(extra).filter(([, value]) => value !== undefined);
  return { _tag: "RunError", kind, message, ...Object.fromEntries(fields) };
}
