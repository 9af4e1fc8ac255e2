import { createConnection } from "node:net";
import type { DriverError } from "@backflip/core";
import { ResultAsync } from "neverthrow";
import { haproxyError } from "./haproxy-error";
import type { RuntimeApi } from "./runtime-api";

/** Options of {@link unixSocketRuntimeApi}. */
export interface UnixSocketRuntimeApiOptions {
  /** Give up after this many milliseconds (default 10000). */
  readonly timeoutMs?: number;
}

/**
 * The runtime API over a unix socket this process can open directly: the fast path when
 * HAProxy runs on this machine (no process is spawned per request). Pass it as the
 * driver's `runtimeApi` capability; remote HAProxy hosts use {@link shellRuntimeApi}.
 */
export function unixSocketRuntimeApi(
  socketPath: string,
  options: UnixSocketRuntimeApiOptions = {},
): RuntimeApi {
  const timeoutMs = options.timeoutMs ?? 10_000;
  return {
    name: `unix:${socketPath}`,
    send(line: string): ResultAsync<string, DriverError> {
      return ResultAsync.fromPromise(exchange(socketPath, line, timeoutMs), (e) =>
        socketError(socketPath, e),
      );
    },
  };
}

function exchange(socketPath: string, line: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    if (line.includes("\n")) {
      reject(new Error("a runtime API request is one line"));
      return;
    }
    const chunks: Buffer[] = [];
    const socket = createConnection({ path: socketPath });
    socket.setTimeout(timeoutMs, () =>
      socket.destroy(Object.assign(new Error("timed out"), { code: "ETIMEDOUT" })),
    );
    // `quit` closes the connection after the reply, on the stats socket and the master CLI
    // alike. No half-close instead: a proxy in front of the socket (an Incus proxy device)
    // may drop the connection on the client's EOF before it has relayed the reply.
    socket.on("connect", () => socket.write(`${line};quit\n`));
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("error", reject);
    socket.on("close", (hadError) => {
      if (!hadError) resolve(Buffer.concat(chunks).toString("utf8"));
    });
  });
}

function socketError(socketPath: string, error: unknown): DriverError {
  const code = (error as NodeJS.ErrnoException).code;
  const message = error instanceof Error ? error.message : String(error);
  if (code === "ENOENT" || code === "ECONNREFUSED") {
    return haproxyError(
      "runtime-api",
      "unavailable",
      `cannot reach the HAProxy socket ${socketPath}: ${message}`,
      {
        hint: `is HAProxy running with \`stats socket ${socketPath} level admin\` (or \`-S ${socketPath}\` for the master CLI)?`,
        details: { socket: socketPath, code },
        cause: error,
      },
    );
  }
  if (code === "EACCES" || code === "EPERM") {
    return haproxyError(
      "runtime-api",
      "unauthorized",
      `permission denied on the HAProxy socket ${socketPath}`,
      {
        hint: `run as a user allowed to open ${socketPath}, or widen the socket's mode`,
        details: { socket: socketPath, code },
        cause: error,
      },
    );
  }
  return haproxyError(
    "runtime-api",
    code === "ETIMEDOUT" ? "timeout" : message.includes("one line") ? "invalid_input" : "failed",
    `HAProxy socket ${socketPath}: ${message}`,
    { details: { socket: socketPath, code }, cause: error },
  );
}
