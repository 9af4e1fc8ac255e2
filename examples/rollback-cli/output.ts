import type { DriverError, RunError } from "@backflip/core";
import type { Out } from "../lib/progress";
import type { ExitCode } from "./exit-codes";

/** Where a command writes: lines for a person, or JSON objects (one per line) with `--json`. */
export interface Output {
  /** True with `--json`: stdout carries only JSON, one object per line. */
  readonly json: boolean;
  /** A line for a person on stdout; dropped with `--json`. */
  readonly text: Out;
  /** One JSON object on one stdout line; dropped without `--json`. */
  object(value: unknown): void;
  /** A line for a person on stderr (always). */
  readonly problem: Out;
}

/** An {@link Output} over two line writers (the process's stdout and stderr, or a test's arrays). */
export function createOutput(json: boolean, stdout: Out, stderr: Out): Output {
  return {
    json,
    text: (line) => {
      if (!json) stdout(line);
    },
    object: (value) => {
      if (json) stdout(JSON.stringify(value));
    },
    problem: stderr,
  };
}

/** Reports a failure before or outside a run (usage, reading the world, planning), returning `code`. */
export function fail(
  out: Output,
  code: ExitCode,
  what: { message: string; hint?: string | undefined; reason?: string },
): ExitCode {
  out.problem(`error: ${what.message}`);
  if (what.hint) out.problem(`next: ${what.hint}`);
  out.object({ type: "error", exitCode: code, ...what });
  return code;
}

/** {@link fail} for a driver error. */
export function failDriver(out: Output, code: ExitCode, error: DriverError): ExitCode {
  return fail(out, code, {
    message: `[${error.driver}.${error.op}] ${error.message}`,
    hint: error.hint,
    reason: error.reason,
  });
}

/** The JSON form of a run error (without its `cause` object). */
export function runErrorJson(error: RunError): Record<string, unknown> {
  return {
    kind: error.kind,
    message: error.message,
    ...(error.hint ? { hint: error.hint } : {}),
    ...(error.owner ? { owner: error.owner, stale: error.stale ?? false } : {}),
  };
}
