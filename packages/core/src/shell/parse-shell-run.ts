import { err, ok, type Result } from "neverthrow";
import * as z from "zod";
import { type DriverError, driverError } from "../errors/driver-error";
import type { ShellRunOptions } from "../ports/shell";
import { abortSignalSchema } from "../validate/abort-signal-schema";
import { lazySchema } from "../validate/lazy-schema";
import { parseInput } from "../validate/parse-input";
import { timerMsSchema } from "../validate/timer-ms-schema";

const noNul = (what: string) => z.string().refine((s) => !s.includes("\0"), `${what} contains a NUL byte`);

/** An argv: a non-empty array of strings, the program name non-empty, no NUL byte anywhere. */
export const shellArgvSchema = lazySchema(() =>
  z
    .array(noNul("argument"), { error: "argv must be an array of strings" })
    .min(1, "argv is empty: give the program and its arguments as an array")
    .refine((argv) => argv[0] !== "", "argv[0] (the program) is empty"),
);

/** The options of {@link Shell.run}, checked the same way by every Shell. */
export const shellRunOptionsSchema = lazySchema(() =>
  z
    .object({
      stdin: z.union([z.string(), z.instanceof(Uint8Array)], { error: "stdin must be a string or bytes" }),
      timeoutMs: timerMsSchema,
      signal: abortSignalSchema,
      maxOutputBytes: z.number().int().nonnegative(),
      cwd: noNul("cwd").min(1, "cwd is empty"),
      env: z.record(
        z.string().regex(/^[^=\0]+$/, "an environment variable name must be non-empty, without '=' or NUL"),
        noNul("an environment value"),
      ),
      outputOnlyOnFailure: z.boolean({ error: "outputOnlyOnFailure must be true or false" }),
    })
    .partial(),
);

/** A validated argv plus its options. */
export interface ShellRun {
  readonly argv: readonly string[];
  readonly options: ShellRunOptions;
}

/**
 * Validates a {@link @backflip/core!Shell.run} call at the edge: argv and options. Every Shell calls it
 * first, so a bad call returns `invalid_input` and nothing runs.
 */
export function parseShellRun(
  driver: string,
  argv: unknown,
  options: unknown,
): Result<ShellRun, DriverError> {
  const where = { driver, op: "run", hint: "pass the command as an argv array of strings without NUL bytes" };
  return parseInput(shellArgvSchema, argv, where).andThen((okArgv) =>
    parseInput(shellRunOptionsSchema, options ?? {}, { driver, op: "run" }).map((okOptions) => ({
      argv: okArgv,
      options: okOptions as ShellRunOptions,
    })),
  );
}

/**
 * {@link parseShellRun}, then the check every Shell makes before starting anything: a
 * signal that is already aborted is `aborted` ("was not started"), and nothing runs.
 * `shellName` names the shell in that message.
 */
export function startShellRun(
  driver: string,
  shellName: string,
  argv: unknown,
  options: unknown,
): Result<ShellRun, DriverError> {
  return parseShellRun(driver, argv, options).andThen((call) => {
    if (!call.options.signal?.aborted) return ok(call);
    const program = call.argv[0] ?? "";
    return err(
      driverError({
        driver,
        op: "run",
        reason: "aborted",
        message: `\`${program}\` on ${shellName} was not started: the run was already aborted`,
        details: { program },
      }),
    );
  });
}

/** A run's stdin as bytes (UTF-8 for a string); empty when there is none. */
export function stdinBytes(stdin: string | Uint8Array | undefined): Uint8Array {
  return typeof stdin === "string" ? new TextEncoder().encode(stdin) : (stdin ?? new Uint8Array());
}
