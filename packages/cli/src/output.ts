import type { DriverError, RunError } from "@backflip/core";
import { UNSAFE_CHARS } from "@backflip/core/driver-kit";
import type { ExitCode } from "./exit-codes";
import type { Program } from "./program";
import type { Out } from "./progress";

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
  /** The CLI that writes: its name goes into hints and suggested commands. */
  readonly program: Program;
}

/**
 * What a terminal would act on instead of showing: the shared validator's unsafe
 * characters (C0 and C1 controls, DEL, bidi embeddings, overrides and isolates, U+2028/9,
 * lone surrogates), every occurrence.
 */
const TERMINAL_CONTROL = new RegExp(UNSAFE_CHARS.source, "gu");

/**
 * One line as it may reach a terminal: every character a terminal would act on (the driver kit's `UNSAFE_CHARS`) is
 * written as its `\uXXXX` escape, so a value can neither colour, move, hide nor reorder
 * what is printed, nor start a line of its own. The escape is also JSON's, so a JSON line
 * stays valid JSON with the same value.
 */
export function escapeForTerminal(line: string): string {
  return line.replace(TERMINAL_CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** A line writer that escapes each line with {@link escapeForTerminal} before `out` sees it. */
export function terminalWriter(out: Out): Out {
  return (line) => out(escapeForTerminal(line));
}

/** Writes a multi-line text of the CLI's own (its help) through `out`, one line per call. */
export function printLines(out: Out, text: string): void {
  for (const line of text.split("\n")) out(line);
}

/**
 * An {@link Output} over two line writers (the process's stdout and stderr, or a test's
 * arrays); every line, JSON included, goes through {@link escapeForTerminal}.
 */
export function createOutput(json: boolean, stdout: Out, stderr: Out, program: Program): Output {
  const toStdout = terminalWriter(stdout);
  return {
    json,
    program,
    text: (line) => {
      if (!json) toStdout(line);
    },
    object: (value) => {
      if (json) toStdout(JSON.stringify(value));
    },
    problem: terminalWriter(stderr),
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
