import { join } from "node:path";
import {
  type DriverError,
  driverError,
  type FullTopology,
  HttpHealthProbe,
  type Topology,
} from "@backflip/core";
import type { Drivers } from "@backflip/core/recipes";
import { createForgejoRegistry, type ForgejoRegistry } from "@backflip/driver-forgejo";
import {
  createHaproxySwitch,
  type HaproxySwitch,
  shellRuntimeApi,
  unixSocketRuntimeApi,
} from "@backflip/driver-haproxy";
import { createIncusHost, type IncusHost } from "@backflip/driver-incus";
import { err, ok, type Result } from "neverthrow";
import { HAPROXY_MASTER_SOCKET } from "./app-server-script";
import { readRegistryState } from "./lab-registry";
import { LAB_EDGES, LAB_HAPROXY, type LabEdge, labApps, labStateDir, labTopology } from "./lab-settings";
import { labIncusOptions } from "./lab-site";

/** The lab's drivers: real Incus, real HAProxy inside `veza-lab-haproxy`, the fake Forgejo, HTTP probes. */
export interface LabDrivers extends Drivers {
  readonly host: IncusHost;
  readonly traffic: HaproxySwitch;
  readonly probe: HttpHealthProbe;
  readonly registry: ForgejoRegistry;
  readonly topology: FullTopology;
}

/**
 * The one CA HAProxy's internal HTTP client trusts in the lab (the host's `/usr` is
 * mounted in the container): starting HAProxy (`haproxy -c`, a reload) then skips loading
 * a whole CA store — tens of ms off every reload-mode flip.
 */
export const LAB_HTTPCLIENT_CA = "/usr/share/ca-certificates/mozilla/ISRG_Root_X1.crt";

/** HAProxy's frontend inside its container (joined to the public port by a proxy device). */
export const HAPROXY_INNER_BIND = "127.0.0.1:80";

/**
 * HAProxy's sockets inside its container: the stats socket (the driver's default) and the
 * master CLI. Each is joined to a host unix socket ({@link labHostSocket}) by a proxy device.
 */
export const HAPROXY_SOCKETS = { admin: "/run/haproxy/admin.sock", master: HAPROXY_MASTER_SOCKET } as const;

/** The host end of the proxy device joining one of an edge's HAProxy sockets: `<lab state dir>/haproxy-<name>.sock` for edge 1. */
export function labHostSocket(name: keyof typeof HAPROXY_SOCKETS, edge: LabEdge = LAB_EDGES[0]): string {
  return join(labStateDir(), `${edge.socketPrefix}-${name}.sock`);
}

/**
 * What the lab's HAProxy config is made of, as plain settings (every edge's the same): its
 * path, each component's server per color (a 127.0.0.1 port in the container, joined to
 * the app container by a proxy device), the routes, the bind, the sockets and the CA file.
 */
export function labHaproxySettings(topology: Topology) {
  const servers: Record<string, Record<string, string>> = {};
  for (const app of labApps(topology)) {
    servers[app.component] = { ...servers[app.component], [app.color]: `127.0.0.1:${app.port}` };
  }
  return {
    configPath: LAB_HAPROXY.configPath,
    servers,
    routes: { backend: "/api/", stream: "/stream/" },
    binds: [HAPROXY_INNER_BIND],
    statsSocket: HAPROXY_SOCKETS.admin,
    reload: { method: "master-cli", socket: HAPROXY_SOCKETS.master },
    httpClientCaFile: LAB_HTTPCLIENT_CA,
  } as const;
}

/**
 * The lab's traffic switch: `@backflip/driver-haproxy` over `incus exec veza-lab-haproxy`
 * (the driver-incus Shell, whose files go over one SFTP session), the runtime API and
 * the reload (`reload` on the master CLI) through the sockets' proxy devices
 * ({@link labHostSocket}): a flip runs one exec, `haproxy -c`. Each
 * server address is a 127.0.0.1 port inside the HAProxy container, joined by a proxy
 * device to the same host port, itself joined to the app container. `options.template`
 * replaces the driver's default `haproxy.cfg` template (the fault tests pass a broken one).
 * `options.mode: "map"` is runtime-map mode (a flip pushes the color map over the stats
 * socket: no exec, no reload); it needs the map-mode `haproxy.cfg` (`renderConfigFile`)
 * installed and reloaded once, after which a flip keeps the map file on disk in line.
 * `options.edge` picks the fleet's edge (its container and sockets; default edge 1, `veza-lab-haproxy`).
 */
export function labTrafficSwitch(
  host: IncusHost,
  topology: Topology,
  options: { readonly template?: string; readonly mode?: "reload" | "map"; readonly edge?: LabEdge } = {},
): Result<HaproxySwitch, DriverError> {
  const edge = options.edge ?? LAB_EDGES[0];
  const shell = host.shell(edge.container);
  return createHaproxySwitch({
    shell,
    env: topology.env,
    colors: topology.colors,
    components: topology.containers.components,
    healthPath: topology.containers.healthPath,
    state: topology.traffic,
    ...labHaproxySettings(topology),
    // HAProxy's sockets through their proxy devices; any other socket through `incus exec` + socat.
    runtimeApi: (socket) =>
      socket === HAPROXY_SOCKETS.admin
        ? unixSocketRuntimeApi(labHostSocket("admin", edge))
        : socket === HAPROXY_SOCKETS.master
          ? unixSocketRuntimeApi(labHostSocket("master", edge))
          : shellRuntimeApi(shell, socket),
    ...(options.template === undefined ? {} : { template: options.template }),
    ...(options.mode === undefined ? {} : { mode: options.mode }),
  });
}

/**
 * Everything a recipe needs on the lab, for a lab brought up by `pnpm lab up` (the
 * registry's address and token come from its state file; Incus is the site's, see
 * `labIncusOptions`). `unavailable` naming `lab up` when the registry state is missing.
 */
export function labDrivers(topology: FullTopology = labTopology()): Result<LabDrivers, DriverError> {
  const state = readRegistryState();
  if (state === null)
    return err(
      driverError({
        driver: "lab",
        op: "drivers",
        reason: "unavailable",
        message: "the lab's registry is not running (no forgejo.json in the lab state dir)",
        hint: "run `pnpm lab up`",
      }),
    );
  return labIncusOptions()
    .andThen((options) => createIncusHost(options))
    .andThen((host) =>
      labTrafficSwitch(host, topology).andThen((traffic) =>
        createForgejoRegistry({ baseUrl: state.baseUrl, token: state.token, topology }).andThen((registry) =>
          ok({ host, traffic, registry, probe: new HttpHealthProbe({ name: "lab" }), topology }),
        ),
      ),
    );
}
