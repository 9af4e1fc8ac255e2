import { errAsync, okAsync, type ResultAsync } from "neverthrow";
import { type DriverError, driverError, isDriverError } from "../errors/driver-error";
import type { ExecLocation } from "../plan/action";
import type { Shell, ShellFiles, ShellResult, ShellRunOptions } from "../ports/shell";

/**
 * What a scripted command answers: its output and exit code (defaults: empty output,
 * exit 0), or a {@link DriverError} when the run itself should fail (a timeout, a lost
 * connection).
 */
export type ShellAnswer =
  | Partial<Pick<ShellResult, "stdout" | "stderr" | "exitCode" | "signal">>
  | DriverError;

/** Picks the answer to one call; `undefined` means "not scripted", a `failed` error naming the argv. */
export type ShellScript = (
  argv: readonly string[],
  options: ShellRunOptions | undefined,
) => ShellAnswer | undefined;

/** One call a {@link RecordingShell} received. */
export interface ShellCall {
  readonly argv: readonly string[];
  readonly options: ShellRunOptions | undefined;
  /** stdin decoded as UTF-8, when the call had one. */
  readonly stdin: string | undefined;
}

/** A {@link Shell} that starts no process: it records every call and answers from a script. */
export interface RecordingShell extends Shell {
  /** Every call so far, in order. */
  readonly calls: ShellCall[];
  /** The argv of every call so far, in order. */
  argvs(): string[][];
}

/** Options of {@link recordingShell}. */
export interface RecordingShellOptions {
  /** Its name (default `recording`). */
  readonly name?: string;
  /** Where it claims its commands run (for dry runs). */
  readonly location?: ExecLocation;
  /** A `files` capability to offer (none by default, so drivers use their command fallback). */
  readonly files?: ShellFiles;
}

/** Decodes a call's stdin for the record. */
function stdinText(stdin: string | Uint8Array | undefined): string | undefined {
  return stdin === undefined || typeof stdin === "string" ? stdin : new TextDecoder().decode(stdin);
}

/**
 * Builds a {@link RecordingShell}: `script` picks the answer to each call (default:
 * every command exits 0 with no output).
 *
 * @example
 * const shell = recordingShell((argv) => (argv[0] === "cat" ? { stdout: "blue\n" } : {}));
 */
export function recordingShell(
  script: ShellScript = () => ({}),
  options: RecordingShellOptions = {},
): RecordingShell {
  const name = options.name ?? "recording";
  const calls: ShellCall[] = [];
  return {
    name,
    ...(options.location ? { location: options.location } : {}),
    ...(options.files ? { files: options.files } : {}),
    calls,
    argvs: () => calls.map((call) => [...call.argv]),
    run(argv, runOptions): ResultAsync<ShellResult, DriverError> {
      calls.push({ argv: [...argv], options: runOptions, stdin: stdinText(runOptions?.stdin) });
      const answer = script(argv, runOptions);
      if (answer === undefined) {
        const message = `not scripted: ${argv.join(" ")}`;
        return errAsync(driverError({ driver: name, op: "run", reason: "failed", message }));
      }
      if (isDriverError(answer)) return errAsync(answer);
      return okAsync({
        exitCode: answer.exitCode ?? (answer.signal ? null : 0),
        signal: answer.signal ?? null,
        stdout: answer.stdout ?? "",
        stderr: answer.stderr ?? "",
        truncated: false,
        durationMs: 0,
      });
    },
  };
}
