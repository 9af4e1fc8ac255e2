import type { DriverError } from "@backflip/core";
import type { RemoteFiles, TrafficBackend } from "@backflip/core/driver-kit";
import { errAsync, ok, okAsync, ResultAsync } from "neverthrow";
import { backendName } from "./config-template";
import { DRIVER, haproxyError } from "./haproxy-error";
import { type ColorMap, parseMapFile, renderMapFile } from "./map-file";
import { mapColor, prepareMapVersion, pushColorMap } from "./push-color-map";
import { MAP_REVISION_KEY } from "./revision";
import { type RuntimeApiPlace, runtimeAction } from "./runtime-action";
import { inSession, openSession, type RuntimeApi, type RuntimeSession } from "./runtime-api";

/** What runtime-map mode needs: the map file, the runtime API, the colors and components. */
export interface MapBackendInput {
  readonly files: RemoteFiles;
  readonly mapFile: string;
  readonly api: RuntimeApi;
  readonly statsSocket: string;
  readonly place: RuntimeApiPlace;
  readonly colors: readonly string[];
  readonly components: readonly string[];
  /** Set the old color's servers to `drain` as the map switches. */
  readonly drain: boolean;
}

const useMapConfigFirst = "install and reload the map-mode haproxy.cfg (renderConfigFile) first";

/**
 * Runtime-map mode: the live file is the color map (one backend per component); a
 * candidate is checked against the running HAProxy (it has every backend and loaded the
 * map file), made live by pushing it with the runtime API (no reload); the running
 * HAProxy reports the revision as the map's `backflip.revision` entry.
 */
export function mapBackend(input: MapBackendInput): TrafficBackend {
  const { files, api, mapFile, place } = input;

  /** The running HAProxy has every backend of the map and loaded the map file. */
  const checkMapLive = (map: ColorMap): ResultAsync<void, DriverError> =>
    inSession(api, (session) => session.send("show backend;show map")).andThen((reply) => {
      // Both replies in one: backend names one per line, then the maps with their files in parentheses.
      const have = new Set(reply.split("\n").map((l) => l.trim()));
      const missing = map.entries.map((e) => e.value).filter((b) => !have.has(b));
      if (missing.length > 0) {
        return errAsync(
          haproxyError(
            "validate",
            "invalid_input",
            `the running HAProxy has no backend ${missing.join(", ")}`,
            {
              hint: "install and reload the map-mode haproxy.cfg (renderConfigFile) that declares every color's backends",
            },
          ),
        );
      }
      if (!reply.includes(`(${mapFile})`)) {
        return errAsync(
          haproxyError("validate", "failed", `the running HAProxy does not use the map ${mapFile}`, {
            hint: useMapConfigFirst,
          }),
        );
      }
      return okAsync(undefined);
    });

  /**
   * The session of the last push, kept for the confirm that follows (until its idle
   * timeout, or the next push): it was opened after install, so if HAProxy reloads
   * meanwhile, the worker it reaches either took the push or is replaced by one that
   * loaded the installed map file. Validate's check never uses it (it asks the HAProxy
   * running now, before install).
   */
  let pushed: RuntimeSession | null = null;
  const forget = (session: RuntimeSession) => {
    session.close();
    if (pushed === session) pushed = null;
  };

  /**
   * The map file read while HAProxy prepares the new, empty version (one round trip, not
   * two; a fenced reload's fence is admitted meanwhile): nothing the proxy serves changes
   * until the push it answers adds the entries and commits them. Prepare, add and commit
   * share a session opened now (one connection where the transport can), kept for confirm.
   */
  const prepareActivate = () => {
    if (pushed) forget(pushed);
    const session = openSession(api);
    pushed = session;
    const failed = (e: DriverError) => {
      forget(session);
      return e;
    };
    return ResultAsync.combine([files.read(mapFile, "reload"), prepareMapVersion(session, mapFile)] as const)
      .andThen(([content, version]) =>
        content === null
          ? errAsync(
              haproxyError("reload", "not_found", `the map file ${mapFile} does not exist`, {
                hint: "install a rendered map first",
              }),
            )
          : parseMapFile(content, "reload").map(
              (map) => () =>
                pushColorMap({
                  api: session,
                  mapFile,
                  map,
                  version,
                  components: input.components,
                  colors: input.colors,
                  drain: input.drain,
                }).mapErr(failed),
            ),
      )
      .mapErr(failed);
  };

  return {
    name: DRIVER,
    livePath: mapFile,
    location: files.location,
    render: (request, revision) =>
      ok(
        renderMapFile(
          revision,
          input.components.map((c) => ({ key: c, value: backendName(c, request.color) })),
        ),
      ),
    revisionOf: (content) => {
      const parsed = parseMapFile(content, "revision");
      return parsed.isOk() ? parsed.value.revision : null;
    },
    confirmHint: `the map did not take: check it with \`show map ${mapFile}\` on the stats socket; undo restores the previous map`,

    checksContentOnly: true,
    check: (_path, content) =>
      parseMapFile(content, "validate").asyncAndThen((map) =>
        mapColor(map, input.components, input.colors) === null
          ? errAsync(
              haproxyError(
                "validate",
                "invalid_input",
                `the map does not route every component (${input.components.join(", ")}) to one color`,
                { hint: "pass a config returned by render()" },
              ),
            )
          : checkMapLive(map),
      ),

    activate: () => prepareActivate().andThen((push) => push()),
    prepareActivate,

    liveRevision: () =>
      (pushed
        ? pushed.send(`show map ${mapFile}`)
        : inSession(api, (one) => one.send(`show map ${mapFile}`))
      ).andThen((reply) => {
        if (/Unknown map identifier/i.test(reply)) {
          return errAsync(
            haproxyError("liveRevision", "failed", `the running HAProxy does not use the map ${mapFile}`, {
              hint: useMapConfigFirst,
            }),
          );
        }
        for (const line of reply.split("\n")) {
          const [, key, value] = line.trim().split(/\s+/);
          if (key === MAP_REVISION_KEY && value !== undefined) return okAsync(value === "-" ? null : value);
        }
        return okAsync(null);
      }),

    describe: (operation) => {
      const request = (line: string) => runtimeAction(place, input.statsSocket, line);
      switch (operation) {
        case "check":
          return [request("show backend;show map")];
        case "activate":
          return [
            request(`prepare map ${mapFile}`),
            request(`add map @<version> ${mapFile} <component> <backend>;…`),
            request(`commit map @<version> ${mapFile}`),
          ];
        case "confirm":
          return [request(`show map ${mapFile}`)];
      }
    },
  };
}
