import type { Action, DriverError, SwitchRequest } from "@backflip/core";
import type { RemoteFiles, TrafficBackend } from "@backflip/core/driver-kit";
import { errAsync, okAsync, type Result, type ResultAsync } from "neverthrow";
import { DRIVER, haproxyError } from "./haproxy-error";
import type { ProcessSignals } from "./process-signals";
import { type ReloadMethod, triggerReload } from "./reload-method";
import { configRevision } from "./revision";
import { type RuntimeApiPlace, runtimeAction } from "./runtime-action";
import type { RuntimeApi, RuntimeApiFactory } from "./runtime-api";

/** What reload mode needs: the config, how to check and reload it, and the stats socket. */
export interface ReloadBackendInput {
  readonly files: RemoteFiles;
  readonly configPath: string;
  /** Renders the whole `haproxy.cfg` stamping `revision`. */
  readonly render: (request: SwitchRequest, revision: string) => Result<string, DriverError>;
  readonly haproxyBin: string;
  readonly reload: ReloadMethod;
  readonly runtimeApi: RuntimeApiFactory;
  /** Process access for the `signal` reload method (default: commands through the Shell). */
  readonly signals?: ProcessSignals;
  /** The stats socket's runtime API, asked for `proc.cfg_rev`. */
  readonly api: RuntimeApi;
  readonly statsSocket: string;
  readonly place: RuntimeApiPlace;
}

/**
 * Reload mode: the live file is `haproxy.cfg`, checked with `haproxy -c` on the candidate,
 * made live by the reload method; the running HAProxy reports its revision through
 * `get var proc.cfg_rev` (the template's `set-var proc.cfg_rev str(<revision>)`).
 */
export function reloadBackend(input: ReloadBackendInput): TrafficBackend {
  const { files, haproxyBin, reload, place } = input;
  const reloadActions = (): readonly Action[] => {
    const where = files.location;
    switch (reload.method) {
      case "signal":
        return [
          { kind: "file", op: "read", where, path: reload.pidFile },
          {
            kind: "note",
            text: `kill -${reload.signal ?? "USR2"} <pid> of HAProxy's master from ${reload.pidFile}`,
          },
        ];
      case "systemctl":
        return [{ kind: "exec", where, argv: ["systemctl", "reload", reload.unit] }];
      case "master-cli":
        return [runtimeAction(place, reload.socket, "show proc;reload")];
    }
  };
  return {
    name: DRIVER,
    livePath: input.configPath,
    location: files.location,
    render: input.render,
    revisionOf: configRevision,
    stampHint: "put `set-var proc.cfg_rev str({{revision}})` in the template's global section",
    confirmHint:
      "the new config did not take: check the master's log (`show proc` on the master CLI counts failed reloads); undo restores the previous config",

    check: (path) =>
      files.check("validate", [haproxyBin, "-c", "-f", path]).mapErr((e) =>
        e.reason === "failed"
          ? {
              ...e,
              reason: "invalid_input" as const,
              message: `haproxy -c rejected the config: ${e.message}`,
              hint: "nothing was installed or reloaded: fix the template or the servers, then render again",
            }
          : e,
      ),

    activate: () =>
      triggerReload(reload, {
        files,
        runtimeApi: input.runtimeApi,
        ...(input.signals ? { signals: input.signals } : {}),
      }),

    liveRevision: (): ResultAsync<string | null, DriverError> =>
      input.api.send("get var proc.cfg_rev").andThen((reply) => {
        if (reply === "") {
          // HAProxy always answers something: the socket went away (a reload, or a proxy in front of it).
          return errAsync(
            haproxyError("liveRevision", "unavailable", "the stats socket closed without a reply", {
              hint: "HAProxy may be reloading: ask again",
            }),
          );
        }
        const value = /^proc\.cfg_rev: type=\w+ value=<(.*)>\s*$/m.exec(reply)?.[1];
        if (value !== undefined) return okAsync(value);
        if (/Variable not found/i.test(reply)) return okAsync(null);
        return errAsync(
          haproxyError(
            "liveRevision",
            "failed",
            `unexpected reply to \`get var proc.cfg_rev\`: ${reply.trim().slice(0, 300)}`,
            { hint: "the stats socket must allow level operator or admin" },
          ),
        );
      }),

    describe: (operation, path) => {
      switch (operation) {
        case "check":
          return [{ kind: "exec", where: files.location, argv: [haproxyBin, "-c", "-f", path] }];
        case "activate":
          return reloadActions();
        case "confirm":
          return [runtimeAction(place, input.statsSocket, "get var proc.cfg_rev")];
      }
    },
  };
}
