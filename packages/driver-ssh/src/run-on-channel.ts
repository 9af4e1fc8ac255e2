import { performance } from "node:perf_hooks";
import type { DriverError, ShellResult, ShellRunOptions } from "@backflip/core";
import { CappedOutput, quoteArgv } from "@backflip/core/driver-kit";
import { err, ok, type Result } from "neverthrow";
import type { Client, ClientChannel } from "ssh2";
import { PidMarker } from "./pid-marker";
import { MISSING_CWD_EXIT, MISSING_CWD_MARKER } from "./remote-command";
import { safeCause, sshError } from "./ssh-error";

const DEFAULT_MAX_OUTPUT_BYTES = 16 * 1024 * 1024;
/** Stdin goes out in chunks of this size, each waiting for the channel to drain. */
const STDIN_CHUNK_BYTES = 64 * 1024;
/** After SIGKILL, how long the channel has to report its end before we close it ourselves. */
const CLOSE_AFTER_KILL_MS = 1000;
/** After our close, how long we wait for the server's before settling anyway (sshd holds it until the process exits). */
const SETTLE_AFTER_CLOSE_MS = 1000;

/** How one command on one channel ended. */
export type ChannelOutcome =
  | { readonly kind: "finished"; readonly result: Result<ShellResult, DriverError> }
  /** The channel never opened: nothing ran, so the caller may reconnect and retry. */
  | { readonly kind: "not-opened"; readonly error: DriverError };

/** What {@link runOnChannel} needs besides the command. */
export interface ChannelRun {
  readonly shellName: string;
  /** The program name, for messages (never the full command line). */
  readonly program: string;
  readonly killGraceMs: number;
}

type Stop = "timeout" | "aborted";

/**
 * Runs one command line on a new channel of `client`: streams stdin with back-pressure,
 * caps each output stream (still draining), and on timeout or abort sends the remote
 * process group SIGTERM, then SIGKILL after the grace, then closes the channel.
 */
export function runOnChannel(
  client: Client,
  command: string,
  opts: ShellRunOptions,
  run: ChannelRun,
): Promise<ChannelOutcome> {
  return new Promise((resolve) => {
    const started = performance.now();
    const max = opts.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
    const stdout = new CappedOutput(max);
    const stderr = new CappedOutput(max);
    const marker = new PidMarker();
    let exitCode: number | null | undefined;
    let exitSignal: string | null = null;
    let stop: Stop | undefined;
    let channel: ClientChannel | undefined;
    const timers: NodeJS.Timeout[] = [];

    let settled = false;
    /** A signal decided before the remote pid was known: sent as soon as it is. */
    let pendingKill: "TERM" | "KILL" | undefined;
    const finish = () => {
      if (settled) return;
      settled = true;
      cleanup();
      resolve({ kind: "finished", result: settle(Math.round(performance.now() - started)) });
    };
    const startKilling = (ch: ClientChannel) => {
      const kill = (name: "TERM" | "KILL") => {
        signal(ch, name);
        if (marker.pid !== undefined) killRemote(client, marker.pid, name);
        else pendingKill = name;
      };
      kill("TERM");
      timers.push(
        setTimeout(() => kill("KILL"), run.killGraceMs),
        setTimeout(() => ch.close(), run.killGraceMs + CLOSE_AFTER_KILL_MS),
        setTimeout(finish, run.killGraceMs + CLOSE_AFTER_KILL_MS + SETTLE_AFTER_CLOSE_MS),
      );
    };
    /**
     * Stops the command. Before its channel is open there is nothing to signal yet: the
     * caller gets its answer after the grace, and a channel that opens later is killed.
     */
    const halt = (why: Stop) => {
      if (stop !== undefined) return;
      stop = why;
      if (channel !== undefined) startKilling(channel);
      else timers.push(setTimeout(finish, run.killGraceMs + CLOSE_AFTER_KILL_MS + SETTLE_AFTER_CLOSE_MS));
    };
    const onAbort = () => halt("aborted");
    if (opts.timeoutMs !== undefined) timers.push(setTimeout(() => halt("timeout"), opts.timeoutMs));
    opts.signal?.addEventListener("abort", onAbort, { once: true });
    const cleanup = () => {
      for (const t of timers) clearTimeout(t);
      opts.signal?.removeEventListener("abort", onAbort);
    };

    const opened = (error: Error | undefined, ch: ClientChannel) => {
      if (error) {
        cleanup();
        resolve({
          kind: "not-opened",
          error: sshError(
            "run",
            "unavailable",
            `cannot open a channel on ${run.shellName}: ${error.message}`,
            {
              hint: "the connection dropped or the server refused another session (MaxSessions)",
              details: { program: run.program },
              cause: safeCause(error),
            },
          ),
        });
        return;
      }
      channel = ch;
      if (stop !== undefined) startKilling(ch);
      ch.on("data", (chunk: Buffer) => stdout.push(chunk));
      ch.stderr.on("data", (chunk: Buffer) => {
        stderr.push(marker.push(chunk));
        if (pendingKill !== undefined && marker.pid !== undefined) {
          killRemote(client, marker.pid, pendingKill);
          pendingKill = undefined;
        }
      });
      ch.stderr.on("end", () => stderr.push(marker.flush()));
      ch.on("error", () => {
        // A write after the remote end closed: the exit status tells what happened.
      });
      ch.on("exit", (code: number | null, signalName?: string) => {
        exitCode = typeof code === "number" ? code : null;
        exitSignal = typeof signalName === "string" ? signalName.replace(/^(?!SIG)/, "SIG") : null;
      });
      ch.on("close", () => {
        stderr.push(marker.flush());
        finish();
      });
      void writeStdin(ch, opts.stdin);
    };

    const settle = (durationMs: number): Result<ShellResult, DriverError> => {
      const details = { program: run.program, durationMs };
      if (stop === "timeout") {
        return err(
          sshError(
            "run",
            "timeout",
            `\`${run.program}\` on ${run.shellName} did not finish within ${opts.timeoutMs} ms; the remote process group was signalled and its channel closed`,
            {
              hint: "the command hangs or is slow: check the host, or raise timeoutMs",
              details: { ...details, timeoutMs: opts.timeoutMs },
            },
          ),
        );
      }
      if (stop === "aborted") {
        return err(
          sshError(
            "run",
            "aborted",
            `\`${run.program}\` on ${run.shellName} was aborted; the remote process group was signalled and its channel closed`,
            { details },
          ),
        );
      }
      if (exitCode === undefined) {
        return err(
          sshError(
            "run",
            "unavailable",
            `the connection to ${run.shellName} dropped while \`${run.program}\` ran: it may or may not have completed`,
            {
              hint: "check on the host whether the command took effect before running it again",
              details,
            },
          ),
        );
      }
      const errText = stderr.text();
      if (exitCode === MISSING_CWD_EXIT && errText.trim() === MISSING_CWD_MARKER) {
        return err(
          sshError("run", "not_found", `working directory ${opts.cwd} does not exist on ${run.shellName}`, {
            hint: "create the directory or pass an existing cwd",
            details,
          }),
        );
      }
      return ok({
        exitCode,
        signal: exitSignal,
        stdout: stdout.text(),
        stderr: errText,
        truncated: stdout.truncated || stderr.truncated,
        durationMs,
      });
    };

    try {
      client.exec(command, opened);
    } catch (error) {
      opened(error as Error, undefined as unknown as ClientChannel);
    }
  });
}

/** Writes stdin in chunks, waiting for the channel to drain, then sends EOF. */
async function writeStdin(channel: ClientChannel, stdin: string | Uint8Array | undefined): Promise<void> {
  const bytes =
    stdin === undefined
      ? Buffer.alloc(0)
      : typeof stdin === "string"
        ? Buffer.from(stdin, "utf8")
        : Buffer.from(stdin);
  for (let offset = 0; offset < bytes.length; offset += STDIN_CHUNK_BYTES) {
    if (channel.destroyed || channel.writableEnded) return;
    const more = channel.write(bytes.subarray(offset, offset + STDIN_CHUNK_BYTES));
    if (!more) await drained(channel);
  }
  if (!channel.destroyed && !channel.writableEnded) channel.end();
}

function drained(channel: ClientChannel): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      channel.removeListener("drain", done);
      channel.removeListener("close", done);
      resolve();
    };
    channel.once("drain", done);
    channel.once("close", done);
  });
}

/**
 * Signals the remote command's process group from a second channel: `kill -SIG -PGID`
 * (sshd makes each session's shell a process group leader), then the pid alone in case
 * it is not. Works whatever the login user, where sshd's own `signal` request needs a
 * non-root session.
 */
function killRemote(client: Client, pid: number, name: "TERM" | "KILL"): void {
  const exec = (argv: readonly string[], then?: (code: number | null) => void) => {
    const command = quoteArgv(argv);
    if (command.isErr()) return;
    try {
      client.exec(command.value, (error, ch) => {
        if (error) return;
        ch.on("exit", (code: number | null) => then?.(code));
        ch.resume();
        ch.stderr.resume();
        ch.end();
      });
    } catch {
      // The connection is gone: so is everything it ran (sshd ends the sessions).
    }
  };
  exec(["kill", `-${name}`, `-${pid}`], (code) => {
    if (code !== 0) exec(["kill", `-${name}`, String(pid)]);
  });
}

/** The parts of ssh2's channel internals needed to signal after stdin's EOF. */
interface ChannelInternals {
  readonly outgoing?: { readonly id: number; readonly state: string };
  readonly _client?: { readonly _protocol?: { signal(channelId: number, name: string): void } };
}

/**
 * Sends a `signal` channel request (OpenSSH's sshd delivers it with killpg to the
 * command's process group). ssh2's public `signal()` refuses once stdin has been
 * ended, which is always the case here, so the request goes through the channel's
 * protocol object (ssh2 is pinned to 1.17.x). A server that ignores it is handled by
 * the later close.
 */
function signal(channel: ClientChannel, name: "TERM" | "KILL"): void {
  const internals = channel as unknown as ChannelInternals;
  const out = internals.outgoing;
  try {
    if (out !== undefined && (out.state === "open" || out.state === "eof") && internals._client?._protocol) {
      internals._client._protocol.signal(out.id, name);
    } else channel.signal(name);
  } catch {
    // The channel is already closed.
  }
}
