import { readFile } from "node:fs/promises";
import type { DriverError } from "@backflip/core";
import { ResultAsync } from "neverthrow";
import { haproxyError } from "./haproxy-error";

/**
 * Process access on the HAProxy host for the `signal` reload method: what a pid runs and
 * sending it a signal. A capability the caller picks, like the runtime API: without it
 * the driver runs `cat /proc/<pid>/comm` and `kill` through the Shell (two processes per
 * reload); {@link localProcessSignals} makes them system calls when HAProxy runs here.
 */
export interface ProcessSignals {
  /** For messages, e.g. `local`. */
  readonly name: string;
  /** The command name of `pid` (`/proc/<pid>/comm`), `null` when no such process runs. */
  commandOf(pid: number): ResultAsync<string | null, DriverError>;
  /** Sends `signal` to `pid`. */
  send(pid: number, signal: "USR2" | "HUP"): ResultAsync<void, DriverError>;
}

/**
 * {@link ProcessSignals} of this machine: `/proc/<pid>/comm` read and the signal sent by
 * this process (no process spawned). Pass it as `processSignals` only when the driver's
 * Shell runs on this machine too (core's LocalShell), with the right to signal HAProxy.
 */
export function localProcessSignals(): ProcessSignals {
  return {
    name: "local",
    commandOf: (pid) =>
      ResultAsync.fromPromise(
        readFile(`/proc/${pid}/comm`, "utf8").then(
          (comm) => comm.trim(),
          (e: NodeJS.ErrnoException) => {
            if (e.code === "ENOENT") return null;
            throw e;
          },
        ),
        (e) =>
          haproxyError("reload", "failed", `cannot read /proc/${pid}/comm: ${(e as Error).message}`, {
            cause: e,
          }),
      ),
    send: (pid, signal) =>
      ResultAsync.fromPromise(
        Promise.resolve().then(() => {
          process.kill(pid, `SIG${signal}`);
        }),
        (e) => {
          const code = (e as NodeJS.ErrnoException).code;
          return haproxyError(
            "reload",
            code === "EPERM" ? "unauthorized" : code === "ESRCH" ? "unavailable" : "failed",
            `cannot send SIG${signal} to HAProxy's master (pid ${pid}): ${(e as Error).message}`,
            {
              hint:
                code === "EPERM"
                  ? "run as HAProxy's user or root"
                  : "HAProxy's master is gone: start HAProxy, then retry",
              details: { pid, code },
              cause: e,
            },
          );
        },
      ),
  };
}
