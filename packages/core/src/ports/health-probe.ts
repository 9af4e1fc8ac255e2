import type { ResultAsync } from "neverthrow";
import type { DriverError } from "../errors/driver-error";

/** One health check, like the runbook's `curl …/api/v1/health`. */
export interface ProbeRequest {
  readonly url: string;
  /** Expected status (default: any 2xx). */
  readonly expectStatus?: number;
  /** The body must contain this text, when set. */
  readonly bodyIncludes?: string;
  /** Per-attempt timeout in milliseconds (default 2000). */
  readonly attemptTimeoutMs?: number;
  /** Attempts before giving up (default 3). */
  readonly attempts?: number;
  /** Overall deadline in milliseconds across attempts (default 10000). */
  readonly deadlineMs?: number;
  /** Pause between attempts in milliseconds (default 200). */
  readonly intervalMs?: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly signal?: AbortSignal;
}

/** A passing probe. */
export interface ProbeResult {
  readonly url: string;
  readonly status: number;
  readonly attempts: number;
  readonly durationMs: number;
  /** The first 4 KiB of the body. */
  readonly body: string;
}

/** Checks an HTTP endpoint with retries and a deadline; `failed`/`timeout` when it never passes. */
export interface HealthProbe {
  readonly name: string;
  check(request: ProbeRequest): ResultAsync<ProbeResult, DriverError>;
}
