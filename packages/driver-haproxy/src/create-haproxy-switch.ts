import { createHash } from "node:crypto";
import type {
  DriverError,
  HistoryEntry,
  RenderedConfig,
  SwitchRequest,
  Topology,
  TrafficState,
  TrafficSwitch,
} from "@backflip/core";
import { parseInput } from "@backflip/core";
import { err, errAsync, ok, okAsync, type Result, ResultAsync } from "neverthrow";
import {
  backendName,
  type ComponentView,
  type ConfigTemplate,
  compileTemplate,
  type TemplateView,
} from "./config-template";
import { DEFAULT_HAPROXY_TEMPLATE } from "./default-template";
import { DRIVER, haproxyError } from "./haproxy-error";
import {
  type HaproxyMode,
  type HaproxySwitchOptions,
  haproxySwitchOptionsSchema,
} from "./haproxy-switch-options";
import { type ColorMap, parseMapFile, renderMapFile } from "./map-file";
import { mapColor, pushColorMap } from "./push-color-map";
import { DEFAULT_RELOAD, type ReloadMethod, triggerReload } from "./reload-method";
import { dirOf, RemoteFiles } from "./remote-files";
import { configRevision, formatRevision, MAP_REVISION_KEY } from "./revision";
import type { RuntimeApi, RuntimeApiFactory } from "./runtime-api";
import { shellRuntimeApi } from "./shell-runtime-api";
import { formatHistoryLine, parseActiveColor, parseHistory } from "./state-files";
import { switchRequestSchema, trafficStateSchema } from "./switch-input";
import { retryUnavailable, waitForRevision } from "./wait-for-revision";

/** A {@link TrafficSwitch} over HAProxy, plus what bootstrapping and inspecting it needs. */
export interface HaproxySwitch extends TrafficSwitch {
  /** `reload`: re-render `haproxy.cfg` and reload. `map`: push the color map, no reload. */
  readonly mode: HaproxyMode;
  /** The file a flip replaces: `haproxy.cfg` in reload mode, the map file in runtime-map mode. */
  readonly livePath: string;
  /**
   * The whole `haproxy.cfg` for a request, in either mode (in runtime-map mode: the config
   * that routes through the map; install it once, with its map, before the first flip).
   */
  renderConfigFile(request: SwitchRequest): ResultAsync<RenderedConfig, DriverError>;
}

interface Settings {
  readonly mode: HaproxyMode;
  readonly topology: Topology;
  readonly colors: readonly string[];
  readonly components: readonly string[];
  readonly files: RemoteFiles;
  readonly api: RuntimeApi;
  readonly runtimeApi: RuntimeApiFactory;
  readonly template: ConfigTemplate;
  readonly livePath: string;
  readonly mapFile: string;
  readonly reload: ReloadMethod;
  readonly view: Omit<
    TemplateView,
    "color" | "revision" | "sha" | "runId" | "actor" | "components" | "routedComponents" | "defaultComponent"
  >;
  readonly servers: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>>;
  readonly routes: Readonly<Record<string, string>>;
  readonly defaultComponent: string;
  readonly haproxyBin: string;
  readonly drain: boolean;
  readonly confirmTimeoutMs: number;
  readonly now: () => Date;
}

/**
 * A temp file beside the live config older than this was left by a run that has ended;
 * also how often a switch sweeps them.
 */
const STALE_TEMP_MS = 10 * 60_000;

/** How long a lone `liveRevision` retries a socket that is briefly unavailable. */
const LIVE_REVISION_GRACE_MS = 2000;

const sha256 = (content: string) => createHash("sha256").update(content).digest("hex");

/**
 * Builds the HAProxy {@link TrafficSwitch}: Path 1 of the runbook ("re-templates
 * `haproxy.cfg` …, validates with `haproxy -c`, atomic-mv-swaps, HUPs", then updates
 * the active-color file), or the same flip through a runtime map with no reload.
 * Every file and command goes through `options.shell`, so HAProxy may be local, behind
 * SSH or inside its container. Bad options (a server missing for a component and color,
 * a template that does not render) are `invalid_input` here, before anything runs.
 */
export function createHaproxySwitch(options: HaproxySwitchOptions): Result<HaproxySwitch, DriverError> {
  return parseInput(haproxySwitchOptionsSchema, options, {
    driver: DRIVER,
    op: "create",
    hint: "fix the named option",
  }).andThen((o) => {
    const topology = o.topology;
    const mode = o.mode ?? "reload";
    const commandTimeoutMs = o.commandTimeoutMs ?? 30_000;
    const runtimeApi =
      o.runtimeApi ??
      ((socket: string) =>
        shellRuntimeApi(o.shell, socket, {
          ...(o.socatBin ? { socatBin: o.socatBin } : {}),
          timeoutMs: commandTimeoutMs,
        }));
    const reload = o.reload ?? DEFAULT_RELOAD;
    const routes = o.routes ?? {};
    const statsSocket = o.statsSocket ?? "/run/haproxy/admin.sock";
    const mapFile = o.mapFile ?? `${dirOf(topology.haproxy.configPath)}/backflip-color.map`;
    const unrouted = topology.components.filter((c) => routes[c] === undefined);
    const settings: Settings = {
      mode,
      topology,
      colors: topology.colors,
      components: topology.components,
      files: new RemoteFiles(o.shell, commandTimeoutMs),
      api: runtimeApi(statsSocket),
      runtimeApi,
      template: compileTemplate(o.template ?? DEFAULT_HAPROXY_TEMPLATE),
      livePath: mode === "map" ? mapFile : topology.haproxy.configPath,
      mapFile,
      reload,
      view: {
        env: topology.env,
        colors: topology.colors,
        binds: o.binds ?? ["*:80"],
        statsSocket,
        pidFile: reload.method === "signal" ? reload.pidFile : null,
        mapFile: mode === "map" ? mapFile : null,
        httpClientCaFile: o.httpClientCaFile ?? null,
        healthPath: topology.healthPath,
        vars: o.vars ?? {},
      },
      servers: Object.fromEntries(
        Object.entries(o.servers).map(([component, byColor]) => [
          component,
          Object.fromEntries(
            Object.entries(byColor).map(([color, a]) => [color, typeof a === "string" ? [a] : [...a]]),
          ),
        ]),
      ),
      routes,
      defaultComponent:
        o.defaultComponent ?? unrouted[unrouted.length - 1] ?? (topology.components.at(-1) as string),
      haproxyBin: o.haproxyBin ?? "haproxy",
      drain: o.drain ?? false,
      confirmTimeoutMs: o.confirmTimeoutMs ?? 10_000,
      now: o.now ?? (() => new Date()),
    };
    // Render once now, so a broken template or a missing variable fails at construction.
    const probe = renderConfig(settings, {
      color: topology.colors[0],
      runId: "probe",
      actor: "backflip",
    });
    return probe.map(() => haproxySwitch(settings)).mapErr((e) => ({ ...e, op: "create" }));
  });
}

function view(s: Settings, request: SwitchRequest, revision: string): TemplateView {
  const components: ComponentView[] = s.components.map((component) => ({
    name: component,
    route: component === s.defaultComponent ? null : (s.routes[component] ?? null),
    activeBackend: backendName(component, request.color),
    backends: s.colors.map((color) => ({
      name: backendName(component, color),
      component,
      color,
      active: color === request.color,
      healthPath: s.topology.healthPath,
      servers: (s.servers[component]?.[color] ?? []).map((address, i) => ({
        name: `${color}${i + 1}`,
        address,
      })),
    })),
  }));
  return {
    ...s.view,
    color: request.color,
    revision,
    sha: request.sha ?? null,
    runId: request.runId,
    actor: request.actor,
    components,
    routedComponents: components.filter((c) => c.route !== null),
    defaultComponent: components.find((c) => c.name === s.defaultComponent) as ComponentView,
  };
}

function renderConfig(s: Settings, request: SwitchRequest): Result<RenderedConfig, DriverError> {
  const revision = formatRevision(request);
  return s.template(view(s, request, revision)).andThen((content) =>
    configRevision(content) === revision
      ? ok({ revision, color: request.color, content })
      : err(
          haproxyError(
            "render",
            "invalid_input",
            "the template does not stamp the revision into the config",
            {
              hint: "put `set-var proc.cfg_rev str({{revision}})` in the template's global section",
            },
          ),
        ),
  );
}

function renderMap(s: Settings, request: SwitchRequest): RenderedConfig {
  const revision = formatRevision(request);
  const entries = s.components.map((c) => ({ key: c, value: backendName(c, request.color) }));
  return { revision, color: request.color, content: renderMapFile(revision, entries) };
}

/** The revision a live or kept file stamps, in this mode's format (`null` when unstamped or unreadable). */
function revisionOf(s: Settings, content: string): string | null {
  if (s.mode === "reload") return configRevision(content);
  const parsed = parseMapFile(content, "revision");
  return parsed.isOk() ? parsed.value.revision : null;
}

function haproxySwitch(s: Settings): HaproxySwitch {
  const { files, api } = s;
  const { stateFile, historyFile, historyLimit } = s.topology.haproxy;
  const prevPath = `${s.livePath}.prev`;
  /** Content hashes this instance validated, with the candidate file each left in place. */
  const validated = new Map<string, string>();

  const requestSchema = switchRequestSchema(s.colors);
  const stateSchema = trafficStateSchema(s.colors);
  const parseRequest = (request: SwitchRequest, op: string) =>
    parseInput(requestSchema, request, {
      driver: DRIVER,
      op,
      hint: `switch to one of ${s.colors.join(", ")}, with a run id and an actor`,
    }) as Result<SwitchRequest, DriverError>;

  /** Checks a rendered config before it touches anything: its color, its stamp, its shape. */
  const checkConfig = (config: RenderedConfig, op: string): Result<ColorMap | null, DriverError> => {
    const bad = (message: string) =>
      err(haproxyError(op, "invalid_input", message, { hint: "pass a config returned by render()" }));
    if (typeof config !== "object" || config === null || typeof config.content !== "string") {
      return bad("expected a rendered config { revision, color, content }");
    }
    if (!s.colors.includes(config.color)) {
      return bad(
        `color ${JSON.stringify(config.color)} is not one of the topology's colors (${s.colors.join(", ")})`,
      );
    }
    if (typeof config.revision !== "string" || config.revision === "")
      return bad("the config has no revision");
    if (s.mode === "reload") {
      return configRevision(config.content) === config.revision
        ? ok(null)
        : bad(`the config does not stamp its revision ${config.revision} (set-var proc.cfg_rev)`);
    }
    return parseMapFile(config.content, op).andThen((map) => {
      if (map.revision !== config.revision)
        return bad(`the map does not carry its revision ${config.revision}`);
      if (mapColor(map, s.components, s.colors) !== config.color) {
        return bad(`the map does not route every component (${s.components.join(", ")}) to ${config.color}`);
      }
      return ok(map);
    });
  };

  /** `haproxy -c` of a file on the HAProxy host; HAProxy's own message is kept. */
  const checkWithHaproxy = (path: string, op: string): ResultAsync<void, DriverError> =>
    files.check(op, [s.haproxyBin, "-c", "-f", path]).mapErr((e) =>
      e.reason === "failed"
        ? {
            ...e,
            reason: "invalid_input" as const,
            message: `haproxy -c rejected the config: ${e.message}`,
            hint: "nothing was installed or reloaded: fix the template or the servers, then render again",
          }
        : e,
    );

  /** When this switch last swept stale temp files (epoch ms). */
  let sweptAt = Number.NEGATIVE_INFINITY;
  /** Sweeps stale temp files beside the live config, at most once per {@link STALE_TEMP_MS}. */
  const sweepStaleTemps = (keep: string): ResultAsync<void, never> => {
    if (Date.now() - sweptAt < STALE_TEMP_MS) return okAsync(undefined);
    sweptAt = Date.now();
    return files.sweepTemps(s.livePath, STALE_TEMP_MS, keep);
  };

  /**
   * Writes `content` to its candidate file next to the live config and validates it;
   * removed again on failure. While `haproxy -c` runs, stale temp files of earlier runs
   * beside the live config are swept (see `sweepStaleTemps`).
   */
  const stageConfig = (content: string, op: string): ResultAsync<string, DriverError> => {
    const hash = sha256(content);
    const candidate = files.tempPath(s.livePath, hash.slice(0, 16), "new");
    return files
      .writeFile(candidate, content, op)
      .andThen(() => ResultAsync.combine([checkWithHaproxy(candidate, op), sweepStaleTemps(candidate)]))
      .map(() => {
        validated.set(hash, candidate);
        return candidate;
      })
      .orElse((e) => files.remove(candidate, op).andThen(() => errAsync(e)));
  };

  /** Runtime-map mode: the running HAProxy has every backend of the map and loaded the map file. */
  const checkMapLive = (map: ColorMap, op: string): ResultAsync<void, DriverError> =>
    api
      .send("show backend;show map")
      .mapErr((e) => ({ ...e, op }))
      .andThen((reply) => {
        // Both replies in one: backend names one per line, then the maps with their files in parentheses.
        const have = new Set(reply.split("\n").map((l) => l.trim()));
        const missing = map.entries.map((e) => e.value).filter((b) => !have.has(b));
        if (missing.length > 0) {
          return errAsync(
            haproxyError(op, "invalid_input", `the running HAProxy has no backend ${missing.join(", ")}`, {
              hint: "install and reload the map-mode haproxy.cfg (renderConfigFile) that declares every color's backends",
            }),
          );
        }
        if (!reply.includes(`(${s.mapFile})`)) {
          return errAsync(
            haproxyError(op, "failed", `the running HAProxy does not use the map ${s.mapFile}`, {
              hint: "install and reload the map-mode haproxy.cfg (renderConfigFile) first",
            }),
          );
        }
        return okAsync(undefined);
      });

  const readState = (op: string): ResultAsync<TrafficState, DriverError> =>
    ResultAsync.combine([files.read(stateFile, op), files.read(historyFile, op)]).andThen(
      ([color, history]) => {
        if (color === null) {
          return errAsync(
            haproxyError(op, "not_found", `the active-color file ${stateFile} does not exist`, {
              hint: `check which color HAProxy routes to, then write it to ${stateFile}`,
              details: { path: stateFile },
            }),
          );
        }
        return parseActiveColor(color, s.colors, stateFile, op).andThen((activeColor) =>
          parseHistory(history ?? "", historyFile, op).map((entries) => ({ activeColor, history: entries })),
        );
      },
    );

  const writeStateFiles = (color: string, history: readonly HistoryEntry[], op: string) =>
    files
      .writeAtomic(stateFile, `${color}\n`, op)
      .andThen(() =>
        files.writeAtomic(historyFile, history.map((e) => `${formatHistoryLine(e)}\n`).join(""), op),
      );

  const liveRevision = (): ResultAsync<string | null, DriverError> => {
    if (s.mode === "reload") {
      return api
        .send("get var proc.cfg_rev")
        .mapErr((e) => ({ ...e, op: "liveRevision" }))
        .andThen((reply) => {
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
              {
                hint: "the stats socket must allow level operator or admin",
              },
            ),
          );
        });
    }
    return api
      .send(`show map ${s.mapFile}`)
      .mapErr((e) => ({ ...e, op: "liveRevision" }))
      .andThen((reply) => {
        if (/Unknown map identifier/i.test(reply)) {
          return errAsync(
            haproxyError("liveRevision", "failed", `the running HAProxy does not use the map ${s.mapFile}`, {
              hint: "install and reload the map-mode haproxy.cfg (renderConfigFile) first",
            }),
          );
        }
        for (const line of reply.split("\n")) {
          const [, key, value] = line.trim().split(/\s+/);
          if (key === MAP_REVISION_KEY && value !== undefined) return okAsync(value === "-" ? null : value);
        }
        return okAsync(null);
      });
  };

  return {
    name: DRIVER,
    colors: s.colors,
    mode: s.mode,
    livePath: s.livePath,

    readState: () => readState("readState"),

    render(request) {
      return parseRequest(request, "render")
        .andThen((r) => (s.mode === "reload" ? renderConfig(s, r) : ok(renderMap(s, r))))
        .asyncAndThen((config) => okAsync(config));
    },

    renderConfigFile(request) {
      return parseRequest(request, "renderConfigFile")
        .andThen((r) => renderConfig(s, r))
        .mapErr((e) => ({ ...e, op: "renderConfigFile" }))
        .asyncAndThen((config) => okAsync(config));
    },

    validate(config) {
      return checkConfig(config, "validate").asyncAndThen((map) =>
        map === null
          ? stageConfig(config.content, "validate").map(() => undefined)
          : checkMapLive(map, "validate").andThen(() => {
              validated.set(sha256(config.content), "");
              return okAsync(undefined);
            }),
      );
    },

    install(config) {
      const op = "install";
      return checkConfig(config, op).asyncAndThen((map) =>
        files.read(s.livePath, op).andThen((live) => {
          if (live === config.content) {
            // Already installed (a resumed run): keep `.prev` as the file this install replaced.
            return files.read(prevPath, op).map((prev) => ({
              previousRevision: prev === null ? null : revisionOf(s, prev),
            }));
          }
          const hash = sha256(config.content);
          // Validated first: a rejected config leaves the live file and `.prev` as they were.
          // With no live file there is nothing to keep: an older `.prev` must not be restored later.
          const keepPrevious = () =>
            live === null ? files.remove(prevPath, op) : files.writeAtomic(prevPath, live, op);
          const swap: ResultAsync<void, DriverError> =
            map === null
              ? (() => {
                  const staged = validated.get(hash);
                  return (staged ? okAsync(staged) : stageConfig(config.content, op)).andThen((path) =>
                    keepPrevious().andThen(() =>
                      files.rename(path, s.livePath, op).orElse((e) =>
                        // The staged candidate vanished: stage (and validate) again.
                        e.reason === "not_found" && staged
                          ? stageConfig(config.content, op).andThen((again) =>
                              files.rename(again, s.livePath, op),
                            )
                          : errAsync(e),
                      ),
                    ),
                  );
                })()
              : (validated.has(hash) ? okAsync(undefined) : checkMapLive(map, op))
                  .andThen(keepPrevious)
                  .andThen(() => files.writeAtomic(s.livePath, config.content, op));
          return swap.map(() => {
            validated.delete(hash);
            return { previousRevision: live === null ? null : revisionOf(s, live) };
          });
        }),
      );
    },

    reload() {
      if (s.mode === "reload") return triggerReload(s.reload, { files, runtimeApi: s.runtimeApi });
      return files.read(s.livePath, "reload").andThen((content) => {
        if (content === null) {
          return errAsync(
            haproxyError("reload", "not_found", `the map file ${s.livePath} does not exist`, {
              hint: "install a rendered map first",
            }),
          );
        }
        return parseMapFile(content, "reload").asyncAndThen((map) =>
          pushColorMap({
            api,
            mapFile: s.mapFile,
            map,
            components: s.components,
            colors: s.colors,
            drain: s.drain,
          }),
        );
      });
    },

    installedRevision() {
      return files
        .read(s.livePath, "installedRevision")
        .map((content) => (content === null ? null : revisionOf(s, content)));
    },

    // Right after a reload the socket may briefly answer nothing (an old worker stopping):
    // asked on its own, the live revision gets a short grace before `unavailable` stands.
    liveRevision: () => retryUnavailable(liveRevision, LIVE_REVISION_GRACE_MS),

    confirm(revision) {
      if (typeof revision !== "string" || !/^\S+$/.test(revision)) {
        return errAsync(haproxyError("confirm", "invalid_input", "expected a revision returned by render()"));
      }
      const where = s.mode === "reload" ? "the running HAProxy" : `the running HAProxy's map ${s.mapFile}`;
      return waitForRevision(liveRevision, revision, s.confirmTimeoutMs, where);
    },

    record(request) {
      const op = "record";
      return parseRequest(request, op).asyncAndThen((r) =>
        files
          .read(historyFile, op)
          .andThen((text) => parseHistory(text ?? "", historyFile, op))
          .andThen((previous) => {
            const head = previous[0];
            if (head?.runId === r.runId && head.color === r.color) {
              // Already recorded by this run (a resumed run): only make sure the color is written.
              return files
                .read(stateFile, op)
                .andThen((color) =>
                  color?.trim() === r.color
                    ? okAsync(undefined)
                    : files.writeAtomic(stateFile, `${r.color}\n`, op),
                )
                .map(() => ({ activeColor: r.color, history: previous }));
            }
            const entry: HistoryEntry = {
              at: s.now().toISOString(),
              color: r.color,
              ...(r.sha ? { sha: r.sha } : {}),
              runId: r.runId,
              actor: r.actor,
            };
            const history = [entry, ...previous].slice(0, historyLimit);
            // The color first, then the history: the history head is what marks the record as done.
            return writeStateFiles(r.color, history, op).map(() => ({ activeColor: r.color, history }));
          }),
      );
    },

    restorePrevious() {
      const op = "restorePrevious";
      return files.read(prevPath, op).andThen((prev) => {
        if (prev === null) {
          return errAsync(
            haproxyError(op, "not_found", `no previous config is kept at ${prevPath}: nothing to restore`, {
              hint: `the live ${s.livePath} is unchanged; restore it from your config management if it is wrong`,
            }),
          );
        }
        const revision = revisionOf(s, prev);
        return files.read(s.livePath, op).andThen((live) => {
          if (live === prev) return okAsync({ revision });
          const put =
            s.mode === "reload"
              ? stageConfig(prev, op).andThen((candidate) => files.rename(candidate, s.livePath, op))
              : parseMapFile(prev, op).asyncAndThen(() => files.writeAtomic(s.livePath, prev, op));
          return put.map(() => ({ revision }));
        });
      });
    },

    writeState(state) {
      const op = "writeState";
      return parseInput(stateSchema, state, {
        driver: DRIVER,
        op,
        hint: `the active color must be one of ${s.colors.join(", ")}`,
      }).asyncAndThen((st) => writeStateFiles(st.activeColor, st.history as HistoryEntry[], op));
    },
  };
}
