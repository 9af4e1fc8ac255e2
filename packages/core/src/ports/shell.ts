import type { ResultAsync } from "neverthrow";
import type { DriverError } from "../errors/driver-error";
import type { ExecLocation } from "../plan/action";

/** Options for one {@link Shell.run} call. */
export interface ShellRunOptions {
  /** Bytes written to the command's stdin, then stdin is closed. */
  readonly stdin?: string | Uint8Array;
  /** Kill the command after this many milliseconds; the result is a `timeout` error. */
  readonly timeoutMs?: number;
  /** Abort the command; the result is an `aborted` error. */
  readonly signal?: AbortSignal;
  /** Keep at most this many bytes of stdout and of stderr each (default 16 MiB); `truncated` says when cut. */
  readonly maxOutputBytes?: number;
  /** Working directory for the command, where the shell supports one. */
  readonly cwd?: string;
  /** Extra environment variables for the command. */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * The caller reads the output only when the command fails: after a zero exit a Shell
   * may return empty stdout and stderr and skip fetching them (Incus reads them back
   * with two requests). A non-zero exit or a signal always returns the output.
   */
  readonly outputOnlyOnFailure?: boolean;
}

/** What a finished command returned. A non-zero exit is a result, not an error. */
export interface ShellResult {
  /** The exit code, or `null` when the command ended on a signal. */
  readonly exitCode: number | null;
  /** The signal that ended the command, if any. */
  readonly signal: string | null;
  /** Standard output, decoded as UTF-8. */
  readonly stdout: string;
  /** Standard error, decoded as UTF-8. */
  readonly stderr: string;
  /** True when stdout or stderr was cut at `maxOutputBytes`. */
  readonly truncated: boolean;
  /** Wall time of the command in milliseconds. */
  readonly durationMs: number;
}

/** One entry of a directory listing. */
export interface FileEntry {
  /** The entry's name (no directory part). */
  readonly name: string;
  /** Last modification, in milliseconds since the epoch (`null` when unknown). */
  readonly mtimeMs: number | null;
}

/** Optional fast file access a Shell may offer (e.g. Incus's file API); drivers fall back to commands. */
export interface ShellFiles {
  /** Reads a whole file; `not_found` when it does not exist. */
  readFile(path: string): ResultAsync<Uint8Array, DriverError>;
  /** Writes a file atomically: a temp file in the same directory, then rename over `path`. */
  writeFileAtomic(
    path: string,
    data: string | Uint8Array,
    options?: { mode?: number },
  ): ResultAsync<void, DriverError>;
  /**
   * Creates `path` holding `data`, fsync'd (an error with `details.code` `EEXIST` when it
   * exists); its directory is not: for a file nobody reads until a rename in that
   * directory, fsync'd then, publishes it (a candidate config). Optional: drivers write
   * such files with `writeFileAtomic`.
   */
  writeNewFile?(path: string, data: string | Uint8Array): ResultAsync<void, DriverError>;
  /** Renames `from` over `to` atomically (same directory). Optional: drivers fall back to `mv`. */
  rename?(from: string, to: string): ResultAsync<void, DriverError>;
  /**
   * Makes `to` a second name of `from`'s file (a hard link, same directory), replacing `to`
   * atomically when it exists; durable once the directory is fsync'd (a rename in it is).
   * Keeps a file as it is without rewriting it. Optional: drivers fall back to `ln -f` or a copy.
   */
  link?(from: string, to: string): ResultAsync<void, DriverError>;
  /** Removes a file; a missing file is not an error. Optional: drivers fall back to `rm -f`. */
  remove?(path: string): ResultAsync<void, DriverError>;
  /** Lists a directory (without `.` and `..`). Optional: drivers skip what needs it. */
  list?(dir: string): ResultAsync<FileEntry[], DriverError>;
}

/**
 * Runs an argv — never a shell string — somewhere: locally, over SSH, or inside a
 * container. Every `incus exec … --` of the runbook goes through one.
 */
export interface Shell {
  /** A short name for messages and events, e.g. `local`, `ssh:ops@127.0.0.1`, `incus:veza-staging-haproxy`. */
  readonly name: string;
  /** Where its commands run, so a dry run can print a line that runs them there (unknown: a `note`). */
  readonly location?: ExecLocation;
  /** Runs `argv[0]` with the remaining arguments. Errors only when the command could not run to completion. */
  run(argv: readonly string[], options?: ShellRunOptions): ResultAsync<ShellResult, DriverError>;
  /** Faster file access, when the transport has one. */
  readonly files?: ShellFiles;
}
