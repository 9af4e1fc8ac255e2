import { randomBytes } from "node:crypto";
import type { Action, DriverError } from "@backflip/core";
import type { RemoteFiles, TrafficBackend } from "@backflip/core/driver-kit";
import { err, errAsync, ok, okAsync, Result } from "neverthrow";
import { answeredRevision, includeRevision } from "./nginx-revision";
import type { NginxSwitchSettings } from "./nginx-switch-options";

/** The path of the status location that answers the revision. */
const STATUS_PATH = "/backflip-revision";
/** curl's exit codes when nothing answers (yet, or any more): refused, timed out, empty reply, reset. */
const CURL_UNAVAILABLE = [7, 28, 52, 56];
/** curl's exit code for an HTTP error status (`-f`): nginx runs, without the status location. */
const CURL_HTTP_ERROR = 22;

/**
 * The nginx half of a TrafficSwitch: renders the include file, checks a candidate with
 * `nginx -t` on a copy of the main config that includes the candidate instead of the
 * live file, reloads with `nginx -s reload`, and asks the status location which
 * revision the workers serve (`nginx -s reload` exits 0 even when the master then
 * rejects the config, so only that answer confirms a flip).
 */
export function nginxBackend(s: NginxSwitchSettings, files: RemoteFiles): TrafficBackend {
  const { fail, location: where } = files;
  const nginx = (...args: string[]) => [s.nginxBin, ...(s.prefix ? ["-p", s.prefix] : []), ...args];
  const reload = nginx("-c", s.mainConfig, "-s", "reload");
  const url = `http://${s.statusListen}${STATUS_PATH}`;
  const curl = [s.curlBin, "-fsS", "--max-time", "2", url];
  const escaped = s.includeFile.replace(/[.+]/g, "\\$&");
  const includeLine = new RegExp(`^([ \\t]*include[ \\t]+)${escaped}([ \\t]*;)`, "m");
  const mainCopy = (tag: string) => files.tempPath(s.mainConfig, tag, "conf");
  const exec = (argv: readonly string[]): Action => ({ kind: "exec", where, argv });

  /** The main config, its include of the live file naming `candidate` instead. */
  const mainIncluding = (candidate: string, op: string) =>
    files.read(s.mainConfig, op).andThen((main) =>
      main !== null && includeLine.test(main)
        ? okAsync(
            main.replace(includeLine, (_line, before: string, after: string) => before + candidate + after),
          )
        : errAsync(
            fail(
              op,
              main === null ? "not_found" : "failed",
              `${s.mainConfig} has no line \`include ${s.includeFile};\``,
              {
                hint: `include ${s.includeFile} by that absolute path inside http { } of the nginx.conf nginx runs with`,
              },
            ),
          ),
    );

  return {
    name: "nginx",
    livePath: s.includeFile,
    location: where,
    settleMs: s.settleMs,
    stampHint:
      "start the include with `# backflip-revision: <revision>` and answer it at the status location",
    confirmHint:
      "`nginx -s reload` exits 0 even when the master rejects the new config: look for `[emerg]` in nginx's error_log; undo restores the previous include",

    render(request, revision) {
      const upstreams = Object.entries(s.upstreams).map(([name, byColor]) => ({
        name,
        servers: [byColor[request.color] ?? []].flat(),
      }));
      const view = {
        revision,
        color: request.color,
        statusListen: s.statusListen,
        statusPath: STATUS_PATH,
        upstreams,
      };
      const bad = (message: string, cause?: unknown) =>
        fail("render", "invalid_input", message, { hint: "fix the template option", cause });
      return Result.fromThrowable(s.template, (cause) => bad(`the template threw: ${String(cause)}`, cause))(
        view,
      ).andThen((content) =>
        typeof content === "string" ? ok(content) : err(bad("the template must return a string")),
      );
    },

    revisionOf: includeRevision,

    check(path) {
      const op = "validate";
      const copy = mainCopy(randomBytes(6).toString("hex"));
      const rejected = (e: DriverError): DriverError =>
        e.reason !== "failed"
          ? e
          : {
              ...e,
              reason: "invalid_input",
              message: `nginx -t rejected the config: ${e.message}`,
              hint: "nothing was installed or reloaded: fix the template or the upstreams, then render again",
            };
      return mainIncluding(path, op).andThen((main) =>
        files
          .writeFile(copy, main, op)
          .andThen(() => files.check(op, nginx("-t", "-q", "-c", copy)).mapErr(rejected))
          .andThen(() => files.remove(copy, op))
          .orElse((e) => files.remove(copy, op).andThen(() => errAsync(e))),
      );
    },

    activate: () =>
      files.check("reload", reload, { hint: "is nginx running with this main config and its pid file?" }),

    liveRevision() {
      const op = "liveRevision";
      return files
        .run(op, curl)
        .orElse((e) => {
          const code = e.details?.exitCode as number;
          if (code === CURL_HTTP_ERROR) return okAsync({ stdout: null });
          if (!CURL_UNAVAILABLE.includes(code)) return errAsync(e);
          const hint = `nginx does not answer on ${s.statusListen}: is it running, with a config that includes ${s.includeFile}?`;
          return errAsync({ ...e, reason: "unavailable" as const, hint });
        })
        .andThen(({ stdout }) => {
          const revision = stdout === null ? null : answeredRevision(stdout);
          if (stdout === null || revision !== null) return okAsync(revision);
          return errAsync(
            fail(op, "failed", `${url} answered ${JSON.stringify(stdout.slice(0, 200))}, not a revision`, {
              hint: "the status location must answer the revision alone: check the template",
            }),
          );
        });
    },

    describe(operation, path): readonly Action[] {
      if (operation === "activate") return [exec(reload)];
      if (operation === "confirm") {
        return [
          exec(curl),
          { kind: "note", text: `until it answers the new revision, then every answer for ${s.settleMs} ms` },
        ];
      }
      const copy = mainCopy("<random>");
      return [
        {
          kind: "note",
          text: `copy ${s.mainConfig} to ${copy}, including ${path} instead of ${s.includeFile}`,
        },
        { kind: "file", op: "write", where, path: copy },
        exec(nginx("-t", "-q", "-c", copy)),
        { kind: "file", op: "remove", where, path: copy },
      ];
    },
  };
}
