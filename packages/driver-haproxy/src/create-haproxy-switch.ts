import { posix } from "node:path";
import type { DriverError, RenderedConfig, SwitchRequest, TrafficSwitch } from "@backflip/core";
import {
  createTrafficSwitch,
  dirOf,
  formatRevision,
  parseInput,
  RemoteFiles,
  switchRequestSchema,
} from "@backflip/core/driver-kit";
import { err, ok, okAsync, type Result, type ResultAsync } from "neverthrow";
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
  haproxyPathSchema,
  haproxySwitchOptionsSchema,
} from "./haproxy-switch-options";
import { mapBackend } from "./map-backend";
import { reloadBackend } from "./reload-backend";
import { DEFAULT_RELOAD } from "./reload-method";
import { configRevision } from "./revision";
import { shellRuntimeApi } from "./shell-runtime-api";

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

/** Everything of the template's view that does not depend on the request. */
type StaticView = Omit<
  TemplateView,
  "color" | "revision" | "sha" | "runId" | "actor" | "components" | "routedComponents" | "defaultComponent"
>;

/**
 * The map file of runtime-map mode: `mapFile`, else `backflip-color.map` beside the config.
 * A derived path is checked like a given one, so nothing unchecked reaches `show map`.
 */
function mapFileOf(o: HaproxySwitchOptions): Result<string, DriverError> {
  return parseInput(haproxyPathSchema, o.mapFile ?? posix.join(dirOf(o.configPath), "backflip-color.map"), {
    driver: DRIVER,
    op: "create",
    hint: "give mapFile: the default beside configPath is not a plain path",
  });
}

/**
 * Builds the HAProxy {@link TrafficSwitch}: Path 1 of the runbook ("re-templates
 * `haproxy.cfg` …, validates with `haproxy -c`, atomic-mv-swaps, HUPs", then updates
 * the active-color file), or the same flip through a runtime map with no reload. Two
 * small backends over the driver kit's `createTrafficSwitch`, which owns staging,
 * `.prev`, the state files, confirm and restore. Every file and command goes through
 * `options.shell`, so HAProxy may be local, behind SSH or inside its container. Bad
 * options (a server missing for a component and color, a template that does not
 * render) are `invalid_input` here, before anything runs.
 */
export function createHaproxySwitch(options: HaproxySwitchOptions): Result<HaproxySwitch, DriverError> {
  return parseInput(haproxySwitchOptionsSchema, options, {
    driver: DRIVER,
    op: "create",
    hint: "fix the named option",
  }).andThen((o) =>
    mapFileOf(o).andThen((mapFile) => {
      const mode = o.mode ?? "reload";
      const commandTimeoutMs = o.commandTimeoutMs ?? 30_000;
      const socatBin = o.socatBin ?? "socat";
      const runtimeApi =
        o.runtimeApi ??
        ((socket: string) => shellRuntimeApi(o.shell, socket, { socatBin, timeoutMs: commandTimeoutMs }));
      const reload = o.reload ?? DEFAULT_RELOAD;
      const statsSocket = o.statsSocket ?? "/run/haproxy/admin.sock";
      const files = new RemoteFiles(o.shell, { driver: DRIVER, timeoutMs: commandTimeoutMs });
      const api = runtimeApi(statsSocket);
      const place = { where: files.location, socatBin };
      const routes = o.routes ?? {};
      const unrouted = o.components.filter((c) => routes[c] === undefined);
      const defaultComponent = o.defaultComponent ?? unrouted.at(-1) ?? (o.components.at(-1) as string);
      const servers = (component: string, color: string): string[] => {
        const a = o.servers[component]?.[color] ?? [];
        return typeof a === "string" ? [a] : [...a];
      };
      const staticView: StaticView = {
        env: o.env,
        colors: o.colors,
        binds: o.binds ?? ["*:80"],
        statsSocket,
        pidFile: reload.method === "signal" ? reload.pidFile : null,
        mapFile: mode === "map" ? mapFile : null,
        httpClientCaFile: o.httpClientCaFile ?? null,
        healthPath: o.healthPath,
        vars: o.vars ?? {},
      };
      const template: ConfigTemplate = compileTemplate(o.template ?? DEFAULT_HAPROXY_TEMPLATE);
      const view = (request: SwitchRequest, revision: string): TemplateView => {
        const components: ComponentView[] = o.components.map((component) => ({
          name: component,
          route: component === defaultComponent ? null : (routes[component] ?? null),
          activeBackend: backendName(component, request.color),
          backends: o.colors.map((color) => ({
            name: backendName(component, color),
            component,
            color,
            active: color === request.color,
            healthPath: o.healthPath,
            servers: servers(component, color).map((address, i) => ({ name: `${color}${i + 1}`, address })),
          })),
        }));
        return {
          ...staticView,
          color: request.color,
          revision,
          sha: request.sha ?? null,
          runId: request.runId,
          actor: request.actor,
          components,
          routedComponents: components.filter((c) => c.route !== null),
          defaultComponent: components.find((c) => c.name === defaultComponent) as ComponentView,
        };
      };
      /** The whole `haproxy.cfg` for a request, checked to stamp its revision. */
      const renderConfig = (request: SwitchRequest): Result<RenderedConfig, DriverError> => {
        const revision = formatRevision(request);
        return template(view(request, revision)).andThen((content) =>
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
      };
      const backend =
        mode === "map"
          ? mapBackend({
              files,
              mapFile,
              api,
              statsSocket,
              place,
              colors: o.colors,
              components: o.components,
              drain: o.drain ?? false,
            })
          : reloadBackend({
              files,
              configPath: o.configPath,
              render: (request, revision) => template(view(request, revision)),
              haproxyBin: o.haproxyBin ?? "haproxy",
              reload,
              runtimeApi,
              api,
              statsSocket,
              place,
              ...(o.processSignals ? { signals: o.processSignals } : {}),
            });
      // Render once now, so a broken template or a missing variable fails at construction.
      return renderConfig({ color: o.colors[0] as string, runId: "probe", actor: "backflip" })
        .mapErr((e) => ({ ...e, op: "create" }))
        .andThen(() =>
          createTrafficSwitch({
            backend,
            files,
            colors: o.colors,
            state: o.state,
            ...(o.confirmTimeoutMs === undefined ? {} : { confirmTimeoutMs: o.confirmTimeoutMs }),
            ...(o.now === undefined ? {} : { now: o.now }),
          }),
        )
        .map(
          (sw): HaproxySwitch => ({
            ...sw,
            mode,
            livePath: backend.livePath,
            renderConfigFile: (request) =>
              parseInput(switchRequestSchema(o.colors), request, {
                driver: DRIVER,
                op: "renderConfigFile",
                hint: `switch to one of ${o.colors.join(", ")}, with a run id and an actor`,
              })
                .andThen((r) => renderConfig(r as SwitchRequest))
                .mapErr((e) => ({ ...e, op: "renderConfigFile" }))
                .asyncAndThen((config) => okAsync(config)),
          }),
        );
    }),
  );
}
