import type { DriverError } from "@backflip/core";
import type { RemoteFiles } from "@backflip/core/driver-kit";
import { absolutePathSchema, lazySchema, poll } from "@backflip/core/driver-kit";
import { errAsync, okAsync, type ResultAsync } from "neverthrow";
import * as z from "zod";
import { haproxyError } from "./haproxy-error";
import type { ProcessSignals } from "./process-signals";
import type { RuntimeApiFactory } from "./runtime-api";

/**
 * How a reload-mode flip makes HAProxy load the installed config. All are graceful in
 * master-worker mode: the master re-executes, new workers take the listening sockets
 * (`expose-fd listeners`), old workers finish their connections.
 * - `signal`: `kill -USR2` (or `-HUP`, the same in master-worker mode) to the master
 *   whose pid is in `pidFile` (checked to be an `haproxy` process first).
 * - `systemctl`: `systemctl reload <unit>` (the unit checks the config, then signals).
 * - `master-cli`: `reload` on the master CLI socket (`haproxy -S <socket>`), sent with
 *   `show proc` so the reply proves the master read it (sent again when it did not).
 */
export type ReloadMethod =
  | { readonly method: "signal"; readonly pidFile: string; readonly signal?: "USR2" | "HUP" }
  | { readonly method: "systemctl"; readonly unit: string }
  | { readonly method: "master-cli"; readonly socket: string };

/** The zod schema of a {@link ReloadMethod}. */
export const reloadMethodSchema = lazySchema(() =>
  z.discriminatedUnion("method", [
    z.object({
      method: z.literal("signal"),
      pidFile: absolutePathSchema,
      signal: z.enum(["USR2", "HUP"]).optional(),
    }),
    z.object({
      method: z.literal("systemctl"),
      unit: z
        .string()
        .regex(
          /^[A-Za-z0-9][A-Za-z0-9@_.:-]{0,254}$/,
          "expected a systemd unit name like haproxy.service (starting with a letter or digit)",
        ),
    }),
    z.object({
      method: z.literal("master-cli"),
      socket: absolutePathSchema.refine(
        (p) => /^[A-Za-z0-9_./@-]+$/.test(p),
        "a socket path of letters, digits, '_', '.', '/', '@' or '-'",
      ),
    }),
  ]),
);

/** The default: USR2 to the master in `/run/haproxy.pid`, as Debian's packaged unit writes it. */
export const DEFAULT_RELOAD: ReloadMethod = { method: "signal", pidFile: "/run/haproxy.pid", signal: "USR2" };

/** What a reload needs: file and command access on the HAProxy host, and the runtime API. */
export interface ReloadDeps {
  readonly files: RemoteFiles;
  readonly runtimeApi: RuntimeApiFactory;
  /** The `signal` method's process access (default: `cat /proc/<pid>/comm` and `kill` through the Shell). */
  readonly signals?: ProcessSignals;
}

/** Asks HAProxy to load the installed config; returns once the request is made (confirm waits for it). */
export function triggerReload(method: ReloadMethod, deps: ReloadDeps): ResultAsync<void, DriverError> {
  switch (method.method) {
    case "signal":
      return masterPid(method.pidFile, deps).andThen((pid) =>
        deps.signals
          ? deps.signals.send(Number(pid), method.signal ?? "USR2")
          : deps.files.check("reload", ["kill", `-${method.signal ?? "USR2"}`, pid], {
              hint: `HAProxy's master (pid ${pid} from ${method.pidFile}) is gone: start HAProxy, then retry`,
            }),
      );
    case "systemctl":
      return deps.files.check("reload", ["systemctl", "reload", method.unit], {
        hint: `see \`journalctl -u ${method.unit} -n 50\`: a failing config check aborts the reload and the old config keeps serving`,
      });
    case "master-cli":
      return masterCliReload(method.socket, deps.runtimeApi);
  }
}

/** How long a master-CLI `reload` the master did not read (it was still re-executing) is sent again. */
const MASTER_CLI_RETRY_MS = 3000;

/** The master's own line in a `show proc` reply: `<pid> master <reloads> …`. */
const MASTER_LINE = /^\s*\d+\s+master\s+\d+/m;

/** A master CLI that did not take the request: it was not listening (re-executing), or a proxy in front of it dropped the connection. */
const notTaken = (e: DriverError): boolean => {
  const code = (e.details as { code?: unknown } | undefined)?.code;
  return (
    e.reason === "unavailable" ||
    code === "ECONNRESET" ||
    code === "EPIPE" ||
    /Connection reset|Broken pipe/i.test(e.message)
  );
};

/**
 * `show proc;reload` on the master CLI, as one line: a reply carrying the master's `show
 * proc` line proves the master read the line, `reload` included. Anything else (a refused,
 * reset or empty connection: the master was still re-executing after a previous reload, or
 * a proxy in front of its socket could not reach it) is sent again until
 * {@link MASTER_CLI_RETRY_MS} — at worst one reload too many, never one missed.
 */
function masterCliReload(socket: string, runtimeApi: RuntimeApiFactory): ResultAsync<void, DriverError> {
  const api = runtimeApi(socket);
  const notRead = haproxyError("reload", "unavailable", `the master CLI ${socket} did not take \`reload\``, {
    hint: "is HAProxy's master running (`haproxy -W -S <socket>`)? Retry once it answers `show proc`",
    details: { socket },
  });
  return poll({
    read: () =>
      api.send("show proc;reload").andThen((reply) => {
        if (MASTER_LINE.test(reply)) return okAsync(true);
        if (/unknown command|permission denied/i.test(reply))
          return errAsync(
            haproxyError("reload", "failed", `the master CLI ${socket} refused \`reload\`: ${reply.trim()}`, {
              hint: "is that the master socket (`haproxy -W -S <socket>`) rather than the stats socket?",
            }),
          );
        return errAsync({
          ...notRead,
          message: `${notRead.message}: it answered ${JSON.stringify(reply.trim().slice(0, 200))}`,
        });
      }),
    done: () => true,
    timeoutMs: MASTER_CLI_RETRY_MS,
    backoff: (_attempt, elapsedMs) => (elapsedMs < 500 ? 20 : 100),
    retryOn: notTaken,
  })
    .map(() => undefined)
    .mapErr((f) => {
      const last =
        f.kind === "error" ? f.error : "last" in f && f.last && "error" in f.last ? f.last.error : undefined;
      return { ...(last ?? notRead), op: "reload" };
    });
}

/** The master's pid from its pid file, checked to be a live `haproxy` process (a stale pid file never gets a signal). */
function masterPid(pidFile: string, deps: ReloadDeps): ResultAsync<string, DriverError> {
  return deps.files.read(pidFile, "reload").andThen((text) => {
    const pid = text?.split("\n")[0]?.trim() ?? "";
    if (text === null || !/^[1-9][0-9]*$/.test(pid)) {
      return errAsync(
        haproxyError(
          "reload",
          "unavailable",
          text === null ? `the pid file ${pidFile} does not exist` : `the pid file ${pidFile} holds no pid`,
          {
            hint: "is HAProxy running in master-worker mode (-W) with this pid file (-p)? Start it, or pick another reload method",
            details: { pidFile },
          },
        ),
      );
    }
    return (
      deps.signals ? deps.signals.commandOf(Number(pid)) : deps.files.read(`/proc/${pid}/comm`, "reload")
    ).andThen((comm) =>
      comm?.trim().startsWith("haproxy")
        ? okAsync(pid)
        : errAsync(
            haproxyError(
              "reload",
              "unavailable",
              comm === null
                ? `HAProxy's master (pid ${pid} from ${pidFile}) is not running`
                : `pid ${pid} from ${pidFile} is ${comm.trim()}, not haproxy (stale pid file)`,
              { hint: "start HAProxy (master-worker, -W), then retry", details: { pidFile, pid } },
            ),
          ),
    );
  });
}
