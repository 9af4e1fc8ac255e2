import type { DriverError, Shell } from "@backflip/core";
import { errAsync, okAsync, type ResultAsync } from "neverthrow";
import { haproxyError } from "./haproxy-error";
import type { RuntimeApi } from "./runtime-api";

/** Options of {@link shellRuntimeApi}. */
export interface ShellRuntimeApiOptions {
  /** The `socat` binary on the HAProxy host (default `socat`). */
  readonly socatBin?: string;
  /** Kill `socat` after this many milliseconds (default 10000). */
  readonly timeoutMs?: number;
}

/**
 * The runtime API reached through any {@link Shell}: `socat - UNIX-CONNECT:<socket>`
 * runs on the HAProxy host with the request on stdin, so it works locally, over SSH
 * and inside a container alike.
 */
export function shellRuntimeApi(
  shell: Shell,
  socketPath: string,
  options: ShellRuntimeApiOptions = {},
): RuntimeApi {
  const socat = options.socatBin ?? "socat";
  const timeoutMs = options.timeoutMs ?? 10_000;
  const name = `socat:${socketPath} via ${shell.name}`;
  return {
    name,
    send(line: string): ResultAsync<string, DriverError> {
      if (line.includes("\n")) {
        return errAsync(haproxyError("runtime-api", "invalid_input", "a runtime API request is one line"));
      }
      const seconds = String(Math.max(1, Math.ceil(timeoutMs / 1000)));
      return shell
        .run([socat, "-t", seconds, "-T", seconds, "-", `UNIX-CONNECT:${socketPath}`], {
          stdin: `${line}\n`,
          timeoutMs,
        })
        .mapErr((e) =>
          e.reason === "not_found" && !e.message.includes(socketPath)
            ? { ...e, hint: `install socat on ${shell.name} (apt-get install socat), or pass socatBin` }
            : e,
        )
        .andThen((r) => {
          if (r.exitCode === 0) return okAsync(r.stdout);
          const stderr = r.stderr.trim();
          const missing = /No such file or directory|Connection refused/i.test(stderr);
          const denied = /Permission denied/i.test(stderr);
          return errAsync(
            haproxyError(
              "runtime-api",
              missing ? "unavailable" : denied ? "unauthorized" : "failed",
              `cannot reach the HAProxy socket ${socketPath} on ${shell.name}: ${stderr.slice(-500) || `socat exited ${r.exitCode}`}`,
              {
                hint: missing
                  ? `is HAProxy running with \`stats socket ${socketPath} level admin\` (or \`-S ${socketPath}\` for the master CLI)?`
                  : denied
                    ? `run as a user allowed to open ${socketPath} (its mode and owner), or widen the socket's mode`
                    : "check socat and the socket path",
                details: { socket: socketPath, exitCode: r.exitCode },
              },
            ),
          );
        });
    },
  };
}
