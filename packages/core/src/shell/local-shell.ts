import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { stat } from "node:fs/promises";
import { performance } from "node:perf_hooks";
import { err, errAsync, ok, type Result, ResultAsync } from "neverthrow";
import * as z from "zod";
import { type DriverError, driverError } from "../errors/driver-error";
import type { ExecLocation } from "../plan/action";
import type { Shell, ShellFiles, ShellResult, ShellRunOptions } from "../ports/shell";
import { lazySchema } from "../validate/lazy-schema";
import { parseInput } from "../validate/parse-input";
import { CappedOutput } from "./capped-output";
import { LocalShellFiles } from "./local-shell-files";
import { startShellRun } from "./parse-shell-run";
import { stoppedRunError } from "./stopped-run-error";

const DRIVER = "local-shell";
const DEFAULT_MAX_OUTPUT_BYTES = 16 * 1024 * 1024;
const DEFAULT_KILL_GRACE_MS = 2000;

/** Options of a {@link LocalShell}. */
export interface LocalShellOptions {
  /** Name in messages and events (default `local`). */
  readonly name?: string;
  /** After a timeout or abort, how long the process group has between SIGTERM and SIGKILL (default 2000 ms). */
  readonly killGraceMs?: number;
}

const localShellOptionsSchema = lazySchema(() =>
  z.object({
    name: z.string().min(1).optional(),
    killGraceMs: z.number().int().nonnegative().max(60_000).optional(),
  }),
);

/** Why a run was cut short by us. */
type Stop = "timeout" | "aborted";

/**
 * A {@link Shell} on this machine over `child_process.spawn`: argv only (never a shell
 * string), stdin written then closed, a timeout or abort that kills the whole process
 * group (SIGTERM, then SIGKILL after a grace), and a per-stream output cap that keeps
 * draining so the child never blocks.
 */
export class LocalShell implements Shell {
  /** Name in messages and events. */
  readonly name: string;
  /** Local file access: plain reads and atomic writes. */
  readonly files: ShellFiles = new LocalShellFiles();
  /** Commands run right here: a dry run prints them as they are. */
  readonly location: ExecLocation = { kind: "local" };
  readonly #options: Result<{ killGraceMs: number }, DriverError>;

  /** Builds a local shell; bad options make every `run` return `invalid_input`. */
  constructor(options: LocalShellOptions = {}) {
    this.name = typeof options.name === "string" && options.name !== "" ? options.name : "local";
    this.#options = parseInput(localShellOptionsSchema, options, { driver: DRIVER, op: "options" }).map(
      (o) => ({ killGraceMs: o.killGraceMs ?? DEFAULT_KILL_GRACE_MS }),
    );
  }

  /** Runs `argv[0]` with the remaining arguments; a non-zero exit is a result, not an error. */
  run(argv: readonly string[], options?: ShellRunOptions): ResultAsync<ShellResult, DriverError> {
    const checked = this.#options.andThen((shellOptions) =>
      startShellRun(DRIVER, this.name, argv, options).map((call) => ({ ...call, shellOptions })),
    );
    if (checked.isErr()) return errAsync(checked.error);
    const { argv: args, options: opts, shellOptions } = checked.value;
    return checkCwd(opts.cwd).andThen(() =>
      ResultAsync.fromSafePromise(execute(args, opts, shellOptions.killGraceMs, this.name)).andThen((r) => r),
    );
  }
}

/** `not_found` before spawning when the working directory is missing (spawn would blame the program). */
function checkCwd(cwd: string | undefined): ResultAsync<void, DriverError> {
  if (cwd === undefined) return ResultAsync.fromSafePromise(Promise.resolve());
  return ResultAsync.fromSafePromise(
    stat(cwd).then(
      (s) => s.isDirectory(),
      () => false,
    ),
  ).andThen((isDir) =>
    isDir
      ? ok(undefined)
      : err(
          driverError({
            driver: DRIVER,
            op: "run",
            reason: "not_found",
            message: `working directory ${cwd} does not exist or is not a directory`,
            hint: "create the directory or pass an existing cwd",
          }),
        ),
  );
}

function execute(
  argv: readonly string[],
  opts: ShellRunOptions,
  killGraceMs: number,
  shellName: string,
): Promise<Result<ShellResult, DriverError>> {
  const program = argv[0] ?? "";
  return new Promise((resolve) => {
    const started = performance.now();
    const max = opts.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
    const stdout = new CappedOutput(max);
    const stderr = new CappedOutput(max);
    let stop: Stop | undefined;
    let spawnError: NodeJS.ErrnoException | undefined;
    let graceTimer: NodeJS.Timeout | undefined;

    let child: ChildProcessWithoutNullStreams;
    try {
      child = spawn(program, argv.slice(1), {
        cwd: opts.cwd,
        env: { ...process.env, ...opts.env },
        // Its own process group, so a timeout or abort reaches every descendant.
        detached: true,
        stdio: ["pipe", "pipe", "pipe"],
        windowsHide: true,
      });
    } catch (error) {
      resolve(err(spawnFailure(error as NodeJS.ErrnoException, program, shellName)));
      return;
    }
    const killGroup = (signal: NodeJS.Signals) => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, signal);
      } catch {
        // ESRCH: the whole group is already gone.
      }
    };
    const halt = (why: Stop) => {
      if (stop !== undefined) return;
      stop = why;
      killGroup("SIGTERM");
      graceTimer = setTimeout(() => {
        killGroup("SIGKILL");
        // A descendant that left the group may still hold the pipes open: stop waiting for it.
        graceTimer = setTimeout(() => {
          child.stdout.destroy();
          child.stderr.destroy();
        }, killGraceMs);
      }, killGraceMs);
    };
    const timer =
      opts.timeoutMs === undefined ? undefined : setTimeout(() => halt("timeout"), opts.timeoutMs);
    const onAbort = () => halt("aborted");
    opts.signal?.addEventListener("abort", onAbort, { once: true });
    // Aborted while the working directory was being checked: the event has already fired.
    if (opts.signal?.aborted) halt("aborted");

    child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
    child.stdin.on("error", () => {
      // EPIPE: the command exited without reading all of its stdin; its exit status tells.
    });
    child.stdin.end(opts.stdin ?? "");
    child.on("error", (error: NodeJS.ErrnoException) => {
      spawnError = error;
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      clearTimeout(graceTimer);
      opts.signal?.removeEventListener("abort", onAbort);
      // A stopped run leaves nothing behind: children that outlived their parent go too.
      if (stop !== undefined) killGroup("SIGKILL");
      const durationMs = Math.round(performance.now() - started);
      if (spawnError !== undefined) return resolve(err(spawnFailure(spawnError, program, shellName)));
      if (stop !== undefined) return resolve(err(stopped(stop, program, opts, durationMs, shellName)));
      resolve(
        ok({
          exitCode: code,
          signal,
          stdout: stdout.text(),
          stderr: stderr.text(),
          truncated: stdout.truncated || stderr.truncated,
          durationMs,
        }),
      );
    });
  });
}

function stopped(
  why: Stop,
  program: string,
  opts: ShellRunOptions,
  durationMs: number,
  shellName: string,
): DriverError {
  return stoppedRunError(DRIVER, {
    why,
    program,
    shellName,
    timeoutMs: opts.timeoutMs,
    durationMs,
    ended: "its process group was killed",
    timeoutHint: "the command hangs or is slow: check the target, or raise timeoutMs",
  });
}

function spawnFailure(error: NodeJS.ErrnoException, program: string, shellName: string): DriverError {
  const base = { driver: DRIVER, op: "run", details: { program, code: error.code }, cause: error };
  if (error.code === "ENOENT") {
    return driverError({
      ...base,
      reason: "not_found",
      message: `\`${program}\` was not found on ${shellName}`,
      hint: `install ${program} or pass its absolute path (PATH is searched)`,
    });
  }
  if (error.code === "EACCES" || error.code === "EPERM") {
    return driverError({
      ...base,
      reason: "unauthorized",
      message: `\`${program}\` cannot be executed on ${shellName}: permission denied`,
      hint: "check the file's execute bit and owner",
    });
  }
  return driverError({
    ...base,
    reason: "failed",
    message: `\`${program}\` could not be started on ${shellName}: ${error.message}`,
  });
}
