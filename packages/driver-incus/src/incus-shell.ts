import { randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
import {
  type DriverError,
  driverError,
  type ExecLocation,
  type Shell,
  type ShellFiles,
  type ShellResult,
  type ShellRunOptions,
} from "@backflip/core";
import {
  CappedOutput,
  instanceNameSchema,
  parseInput,
  startShellRun,
  stdinBytes,
  stoppedRunError,
} from "@backflip/core/driver-kit";
import { err, errAsync, ok, type Result, ResultAsync } from "neverthrow";
import { incusLocation } from "./incus-cli-actions";
import type { IncusClient } from "./incus-client";
import { DRIVER } from "./incus-error";
import { memberUnavailable } from "./member-unavailable";

const DEFAULT_MAX_OUTPUT_BYTES = 16 * 1024 * 1024;
/** After the SIGKILL sweep, how long we keep waiting for the operation before giving up on it. */
const GIVE_UP_AFTER_KILL_MS = 10_000;
/** A sweep must finish within this many milliseconds. */
const SWEEP_TIMEOUT_MS = 10_000;

/**
 * The environment variable that marks every process of one run (children inherit it),
 * so a timeout or abort can end the whole tree, not only the command Incus started.
 */
export const EXEC_ID_ENV = "BACKFLIP_EXEC_ID";

/**
 * A constant script (never built from input): signals `$2` to every process whose
 * environment holds `BACKFLIP_EXEC_ID=$1`. Needs `sh`, `grep` and `kill` in the instance.
 * The id is hex, so grep's pattern is literal; not `-F`, which busybox stops at the first NUL.
 */
const SWEEP_SCRIPT =
  'cd /proc || exit 0; for p in [0-9]*; do grep -q "BACKFLIP_EXEC_ID=$1" "$p/environ" 2>/dev/null && kill "-$2" "$p" 2>/dev/null; done; exit 0';

/**
 * A constant script (never built from input) for runs with stdin: opens the pushed stdin
 * file `$1` as standard input, removes it, then execs the argv that follows untouched.
 */
const STDIN_SCRIPT = 'exec 0<"$1" || exit 126; rm -f "$1"; shift; exec "$@"';

/** What an {@link IncusShell} needs from its host. */
export interface IncusShellInit {
  readonly client: IncusClient;
  /** The instance commands run in. */
  readonly instance: string;
  /** After a timeout or abort, how long the command has between SIGTERM and SIGKILL. */
  readonly killGraceMs: number;
  /** The host's file API for this instance. */
  readonly files: ShellFiles;
}

/** Why a run was cut short by us. */
type Stop = "timeout" | "aborted";

/** The exec operation's metadata once it has ended. */
interface ExecMetadata {
  readonly return?: unknown;
  readonly output?: Record<string, string>;
}

/**
 * A {@link Shell} inside one Incus instance, like `incus exec NAME -- argv…`, over exec
 * operations with `record-output`: Incus writes stdout and stderr to log files that are
 * read back (at most `maxOutputBytes` each, with the project added to their URLs; not at
 * all after a zero exit with `outputOnlyOnFailure`) and then deleted in the background
 * (the host's `close` waits for that). Unlike the websocket mode, no output is lost when
 * a command ends fast. The exit code is the operation's `return` (a command killed by a
 * signal reports 128+n, as with `incus exec`).
 *
 * Stdin: the bytes are pushed to `/tmp/.backflip-stdin-<id>` through the file API and the
 * argv runs under a constant `sh` wrapper that opens that file as stdin, removes it and
 * execs the argv unchanged; without stdin the command reads an empty `/dev/null`.
 *
 * Timeout and abort end the remote command and its children: every process of the run
 * carries a `BACKFLIP_EXEC_ID` environment mark, and a sweep (`sh`, `grep`, `kill` in the
 * instance) sends SIGTERM, then SIGKILL after the grace.
 */
export class IncusShell implements Shell {
  /** `incus:<instance>`. */
  readonly name: string;
  /** `incus exec [--project P] <instance> --`: where a dry run says its commands run. */
  readonly location: ExecLocation;
  /** The instance's files through the Incus file API (atomic writes: temp + rename). */
  readonly files: ShellFiles;
  readonly #init: IncusShellInit;

  /** A shell in `init.instance`; an invalid instance name makes every run `invalid_input`. */
  constructor(init: IncusShellInit) {
    this.#init = init;
    this.name = `incus:${init.instance}`;
    this.location = incusLocation(init.client.project, init.instance);
    this.files = init.files;
  }

  /** Runs `argv` in the instance; a non-zero exit is a result, not an error. */
  run(argv: readonly string[], options?: ShellRunOptions): ResultAsync<ShellResult, DriverError> {
    const checked = parseInput(instanceNameSchema, this.#init.instance, {
      driver: DRIVER,
      op: "run",
    }).andThen(() => startShellRun(DRIVER, this.name, argv, options));
    if (checked.isErr()) return errAsync(checked.error);
    const { argv: args, options: opts } = checked.value;
    return ResultAsync.fromSafePromise(this.#execute(args, opts, true)).andThen((r) => r);
  }

  /** Signals every process of the run marked `execId` (a sweep is never swept itself). */
  async #sweep(execId: string, signal: "TERM" | "KILL"): Promise<void> {
    await this.#execute(
      ["sh", "-c", SWEEP_SCRIPT, "sh", execId, signal],
      { timeoutMs: SWEEP_TIMEOUT_MS, outputOnlyOnFailure: true },
      false,
    );
  }

  async #execute(
    argv: readonly string[],
    opts: ShellRunOptions,
    sweepOnStop: boolean,
  ): Promise<Result<ShellResult, DriverError>> {
    const { client, instance, killGraceMs } = this.#init;
    const program = argv[0] ?? "";
    const started = performance.now();
    const execId = randomBytes(12).toString("hex");
    const base = `/1.0/instances/${encodeURIComponent(instance)}`;
    const notRunningHint = `start ${instance} first (\`incus start ${instance}\`), or check its name with \`incus list\``;

    const stdin = stdinBytes(opts.stdin);
    const stdinPath = stdin.length > 0 ? `/tmp/.backflip-stdin-${execId}` : undefined;
    if (stdinPath) {
      const pushed = await client.send(
        "run",
        {
          method: "POST",
          path: `${base}/files`,
          query: { path: stdinPath },
          bytes: stdin,
          headers: { "x-incus-type": "file", "x-incus-write": "overwrite", "x-incus-mode": "0600" },
        },
        notRunningHint,
      );
      if (pushed.isErr()) return err(pushed.error);
    }
    const dropStdin = async () => {
      if (stdinPath)
        await client.send("run", { method: "DELETE", path: `${base}/files`, query: { path: stdinPath } });
    };

    const created = await client.send(
      "run",
      {
        method: "POST",
        path: `${base}/exec`,
        json: {
          command: stdinPath ? ["sh", "-c", STDIN_SCRIPT, "sh", stdinPath, ...argv] : argv,
          environment: { ...opts.env, [EXEC_ID_ENV]: execId },
          "record-output": true,
          "wait-for-websocket": false,
          interactive: false,
          ...(opts.cwd === undefined ? {} : { cwd: opts.cwd }),
        },
      },
      notRunningHint,
    );
    if (created.isErr()) {
      await dropStdin();
      const named = (await memberUnavailable(client, "run", instance, created.error)).unwrapOr(created.error);
      return err(named === created.error ? commandNotFound(created.error, program, instance) : named);
    }
    const id = (created.value.envelope?.metadata as { id?: unknown } | undefined)?.id;
    if (typeof id !== "string") {
      await dropStdin();
      return err(
        driverError({
          driver: DRIVER,
          op: "run",
          reason: "failed",
          message: `Incus answered POST ${base}/exec without an operation`,
        }),
      );
    }

    // A stop sweeps SIGTERM to the whole tree, then SIGKILL after the grace; once the
    // command has ended, a last SIGKILL sweep takes the children that outlived it.
    let stop: Stop | undefined;
    const timers: NodeJS.Timeout[] = [];
    const giveUp = new AbortController();
    const halt = (why: Stop) => {
      if (stop !== undefined) return;
      stop = why;
      if (!sweepOnStop) {
        giveUp.abort();
        return;
      }
      void this.#sweep(execId, "TERM");
      timers.push(
        setTimeout(() => {
          void this.#sweep(execId, "KILL");
          timers.push(setTimeout(() => giveUp.abort(), GIVE_UP_AFTER_KILL_MS));
        }, killGraceMs),
      );
    };
    if (opts.timeoutMs !== undefined) timers.push(setTimeout(() => halt("timeout"), opts.timeoutMs));
    const onAbort = () => halt("aborted");
    opts.signal?.addEventListener("abort", onAbort, { once: true });

    const ended = await client.wait("run", id, -1, undefined, giveUp.signal);
    for (const t of timers) clearTimeout(t);
    opts.signal?.removeEventListener("abort", onAbort);
    if (stop !== undefined && sweepOnStop) await this.#sweep(execId, "KILL");

    const meta = ended.isOk() ? ((ended.value.metadata ?? {}) as ExecMetadata) : {};
    const max = opts.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
    const skipOutput = opts.outputOnlyOnFailure === true && meta.return === 0;
    const [stdout, stderr] = await Promise.all([
      this.#readLog(meta.output?.["1"], skipOutput ? undefined : max),
      this.#readLog(meta.output?.["2"], skipOutput ? undefined : max),
    ]);
    const durationMs = Math.round(performance.now() - started);

    if (stop !== undefined)
      return err(stopped(stop, program, opts, durationMs, this.name, giveUp.signal.aborted));
    if (ended.isErr()) {
      // A failed operation (e.g. `Command not found`) reports no output URLs, but Incus
      // created the logs under the operation's id: remove them too.
      for (const stream of ["stdout", "stderr"])
        client.sendLater("run", { method: "DELETE", path: `${base}/logs/exec-output/exec_${id}.${stream}` });
      await dropStdin();
      return err(commandNotFound(ended.error, program, instance));
    }
    if (stdout.isErr()) return err(stdout.error);
    if (stderr.isErr()) return err(stderr.error);
    return ok({
      exitCode: typeof meta.return === "number" ? meta.return : null,
      signal: null,
      stdout: stdout.value.text(),
      stderr: stderr.value.text(),
      truncated: stdout.value.truncated || stderr.value.truncated,
      durationMs,
    });
  }

  /**
   * Reads the first `max` bytes of a record-output log (one byte more tells it was cut),
   * or nothing when `max` is undefined; the log is deleted in the background.
   */
  async #readLog(
    url: string | undefined,
    max: number | undefined,
  ): Promise<Result<CappedOutput, DriverError>> {
    const buffer = new CappedOutput(max ?? 0);
    if (url === undefined) return ok(buffer);
    const { client } = this.#init;
    const read =
      max === undefined
        ? undefined
        : await client.send("run", { method: "GET", path: url, headers: { range: `bytes=0-${max}` } });
    client.sendLater("run", { method: "DELETE", path: url });
    if (read === undefined) return ok(buffer);
    if (read.isErr()) return err(read.error);
    buffer.push(read.value.body);
    return ok(buffer);
  }
}

/** Incus's `Command not found` (argv[0] missing in the instance) with the program named. */
function commandNotFound(error: DriverError, program: string, instance: string): DriverError {
  if (error.reason !== "not_found" || !/command not found/i.test(String(error.details?.incusError ?? "")))
    return error;
  return driverError({
    ...error,
    message: `\`${program}\` was not found in ${instance}: ${error.message}`,
    hint: `install ${program} in the instance or pass its absolute path (PATH is searched)`,
    details: { ...error.details, program },
  });
}

function stopped(
  why: Stop,
  program: string,
  opts: ShellRunOptions,
  durationMs: number,
  shellName: string,
  gaveUp: boolean,
): DriverError {
  return stoppedRunError(DRIVER, {
    why,
    program,
    shellName,
    timeoutMs: opts.timeoutMs,
    durationMs,
    ended: gaveUp
      ? "it was sent SIGTERM then SIGKILL, but Incus did not report its end: check `incus operation list`"
      : "it and its children were ended (SIGTERM, then SIGKILL after a grace)",
    timeoutHint: "the command hangs or is slow: check the instance, or raise timeoutMs",
  });
}
