import { createConnection, type Socket } from "node:net";
import type { DriverError } from "@backflip/core";
import { ResultAsync } from "neverthrow";
import { haproxyError } from "./haproxy-error";
import type { RuntimeApi, RuntimeSession } from "./runtime-api";

/** Options of {@link unixSocketRuntimeApi}. */
export interface UnixSocketRuntimeApiOptions {
  /** Give up after this many milliseconds (default 10000). */
  readonly timeoutMs?: number;
}

/**
 * The runtime API over a unix socket this process can open directly: the fast path when
 * HAProxy runs on this machine (no process is spawned per request). Pass it as the
 * driver's `runtimeApi` capability; remote HAProxy hosts use {@link shellRuntimeApi}.
 * Its sessions keep one interactive connection for several requests.
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
    session: () => unixSocketSession(socketPath, timeoutMs),
  };
}

/**
 * What the stats socket prints after each command's reply in interactive (`prompt`)
 * mode: a command's reply ends with it where the non-interactive reply ends with `\n`.
 * The replies of the commands the driver sends never hold a line starting with `> `.
 */
const PROMPT = "\n> ";

/** A session connection idle this long is closed (well under HAProxy's 10 s default `stats timeout`). */
const SESSION_IDLE_MS = 1000;

/** One interactive connection, opened by the first request. */
interface Connection {
  readonly socket: Socket;
  /** What HAProxy sent that no request has taken yet. */
  buffer: string;
  /** The request waiting for its reply: how many prompts end it. */
  waiting: { prompts: number; resolve: (reply: string) => void; reject: (e: Error) => void } | null;
}

/**
 * A {@link RuntimeSession} on the stats socket: the first request opens the connection
 * with `prompt` sent ahead of it in the same write; each reply is taken once its
 * commands' prompts have arrived (one per `;`-separated command), with no wait for HAProxy
 * to close. Requests run one at a time. A connection closed while idle (by HAProxy's
 * timeout, or after {@link SESSION_IDLE_MS}) is opened again by the next request —
 * nothing was sent on it; one that closes while a request waits fails that request.
 */
function unixSocketSession(socketPath: string, timeoutMs: number): RuntimeSession {
  let open: Connection | null = null;
  let idle: NodeJS.Timeout | undefined;
  let queue: Promise<unknown> = Promise.resolve();
  const close = () => {
    clearTimeout(idle);
    open?.socket.destroy();
    open = null;
  };

  const connect = (): Connection => {
    const socket = createConnection({ path: socketPath });
    const conn: Connection = { socket, buffer: "", waiting: null };
    const fail = (e: Error) => {
      if (open === conn) open = null;
      conn.waiting?.reject(e);
      conn.waiting = null;
    };
    socket.setTimeout(timeoutMs, () => {
      if (conn.waiting) socket.destroy(Object.assign(new Error("timed out"), { code: "ETIMEDOUT" }));
    });
    socket.on("data", (chunk: Buffer) => {
      conn.buffer += chunk.toString("utf8");
      const w = conn.waiting;
      if (!w) return;
      const parts = conn.buffer.split(PROMPT);
      if (parts.length <= w.prompts) return;
      conn.buffer = parts.slice(w.prompts).join(PROMPT);
      conn.waiting = null;
      w.resolve(
        parts
          .slice(0, w.prompts)
          .map((reply) => `${reply}\n`)
          .join(""),
      );
    });
    // HAProxy ended it: the next request opens another (this one's close fails any waiting).
    socket.on("end", () => {
      if (open === conn) open = null;
    });
    socket.on("error", fail);
    socket.on("close", () =>
      fail(Object.assign(new Error("HAProxy closed the connection before replying"), { code: "ECONNRESET" })),
    );
    return conn;
  };

  const request = (line: string): Promise<string> => {
    if (line.includes("\n")) return Promise.reject(new Error("a runtime API request is one line"));
    clearTimeout(idle);
    const fresh = open === null;
    const conn = open ?? connect();
    open = conn;
    const commands = line.split(";").length;
    const reply = new Promise<string>((resolve, reject) => {
      conn.waiting = { prompts: fresh ? commands + 1 : commands, resolve, reject };
    });
    conn.socket.ref();
    conn.socket.write(fresh ? `prompt\n${line}\n` : `${line}\n`);
    return reply
      .then((text) => (fresh ? text.slice(1) : text))
      .finally(() => {
        if (open !== conn) return;
        conn.socket.unref();
        idle = setTimeout(close, SESSION_IDLE_MS).unref();
      });
  };

  return {
    send(line) {
      const next = queue.then(() => request(line));
      queue = next.catch(() => undefined);
      return ResultAsync.fromPromise(next, (e) => socketError(socketPath, e));
    },
    close,
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
  if (code === "ECONNRESET" || code === "EPIPE") {
    return haproxyError("runtime-api", "unavailable", `HAProxy socket ${socketPath}: ${message}`, {
      hint: "HAProxy closed the connection (a worker stopping on reload?): ask again",
      details: { socket: socketPath, code },
      cause: error,
    });
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
