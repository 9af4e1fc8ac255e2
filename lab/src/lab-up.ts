import { type DriverError, driverError, type HealthProbe, type Topology } from "@backflip/core";
import type { HaproxySwitch } from "@backflip/driver-haproxy";
import type { IncusHost } from "@backflip/driver-incus";
import { errAsync, ok, okAsync, type ResultAsync } from "neverthrow";
import { APP_INITTAB, APP_SERVER_PATHS, APP_SERVER_SCRIPT, HAPROXY_INITTAB } from "./app-server-script";
import { inOrder } from "./in-order";
import { type IncusDevice, IncusInstances } from "./incus-instances";
import { CANONICAL_RELEASE, canonicalTrafficState, LAB_ACTOR } from "./lab-canonical";
import { HAPROXY_SOCKETS, type LabDrivers, labDrivers, labHostSocket, labTrafficSwitch } from "./lab-drivers";
import { provisionLabPostgres } from "./lab-postgres";
import { ensureLabRegistry } from "./lab-registry";
import {
  APP_INNER_PORT,
  LAB_APP,
  LAB_EDGES,
  LAB_HAPROXY,
  type LabApp,
  type LabEdge,
  labApps,
  labEdgeHealthUrl,
  labTopology,
} from "./lab-settings";
import { LAB_SITE, labIncusOptions, labPlacement } from "./lab-site";
import { inContainer, provisionContainer } from "./provision-container";

/** The image every lab container starts from (imported by `scripts/backends up incus`). */
export const LAB_IMAGE = "busybox";

const usrDevice: IncusDevice = { type: "disk", source: "/usr", path: "/usr", readonly: "true" };

/** The devices of an app container: the host's `/usr` read-only, and its health server on a host loopback port. */
export function appDevices(app: LabApp): Record<string, IncusDevice> {
  return {
    usr: usrDevice,
    health: {
      type: "proxy",
      listen: `tcp:127.0.0.1:${app.port}`,
      connect: `tcp:127.0.0.1:${APP_INNER_PORT}`,
    },
  };
}

/**
 * The devices of an edge's HAProxy container (default: edge 1, `veza-lab-haproxy`): the
 * host's `/usr`, its frontend on the edge's public loopback port, its stats socket and
 * master CLI on the edge's host unix sockets (the runtime API and reloads without an
 * exec), and one `bind=instance` proxy per app server so that 127.0.0.1:<port>
 * inside it reaches the app container behind the same host port. No network device.
 */
export function haproxyDevices(
  topology: Topology,
  edge: LabEdge = LAB_EDGES[0],
): Record<string, IncusDevice> {
  const devices: Record<string, IncusDevice> = {
    usr: usrDevice,
    public: { type: "proxy", listen: `tcp:127.0.0.1:${edge.publicPort}`, connect: "tcp:127.0.0.1:80" },
    admin: {
      type: "proxy",
      listen: `unix:${labHostSocket("admin", edge)}`,
      connect: `unix:${HAPROXY_SOCKETS.admin}`,
    },
    master: {
      type: "proxy",
      listen: `unix:${labHostSocket("master", edge)}`,
      connect: `unix:${HAPROXY_SOCKETS.master}`,
    },
  };
  for (const app of labApps(topology)) {
    devices[`to-${app.component}-${app.color}`] = {
      type: "proxy",
      bind: "instance",
      listen: `tcp:127.0.0.1:${app.port}`,
      connect: `tcp:127.0.0.1:${app.port}`,
    };
  }
  return devices;
}

/** A health URL answering, with retries (a server just started by init needs a moment). */
export function waitHealthy(
  probe: HealthProbe,
  url: string,
  bodyIncludes?: string,
): ResultAsync<void, DriverError> {
  return probe
    .check({
      url,
      attempts: 120,
      deadlineMs: 30_000,
      intervalMs: 250,
      attemptTimeoutMs: 2_000,
      ...(bodyIncludes === undefined ? {} : { bodyIncludes }),
    })
    .map(() => undefined);
}

function provisionApp(d: LabDrivers, app: LabApp): ResultAsync<void, DriverError> {
  const { host } = d;
  return provisionContainer(
    host,
    app.name,
    ["/opt/veza", LAB_APP.stageDir],
    [
      { path: APP_SERVER_PATHS.script, content: APP_SERVER_SCRIPT },
      { path: APP_SERVER_PATHS.identity, content: `${app.component} ${app.color}\n` },
      { path: "/etc/inittab", content: APP_INITTAB },
    ],
  )
    .andThen(() => writeReleaseIfMissing(host, app.name, CANONICAL_RELEASE[app.color] ?? ""))
    .andThen(() => waitHealthy(d.probe, `http://127.0.0.1:${app.port}${d.topology.containers.healthPath}`));
}

function writeReleaseIfMissing(
  host: IncusHost,
  container: string,
  sha: string,
): ResultAsync<void, DriverError> {
  return host
    .pullFile(container, LAB_APP.releaseFile)
    .map(() => undefined)
    .orElse((e) =>
      e.reason === "not_found"
        ? host.pushFile(container, LAB_APP.releaseFile, `${sha}\n`, { mode: 0o644 })
        : errAsync(e),
    );
}

/** Installs a first `haproxy.cfg` (blue live) and the canonical state when the edge's container has none. */
function seedHaproxy(host: IncusHost, edge: LabEdge, traffic: HaproxySwitch): ResultAsync<void, DriverError> {
  const state = canonicalTrafficState();
  const haveConfig = host
    .pullFile(edge.container, LAB_HAPROXY.configPath)
    .map(() => true)
    .orElse((e) => (e.reason === "not_found" ? okAsync(false) : errAsync(e)));
  return haveConfig
    .andThen((have) =>
      have
        ? okAsync(undefined)
        : traffic
            .render({
              color: state.activeColor,
              sha: CANONICAL_RELEASE.blue,
              runId: "lab-up",
              actor: LAB_ACTOR,
            })
            .andThen((cfg) => traffic.install(cfg))
            .map(() => undefined),
    )
    .andThen(() =>
      traffic
        .readState()
        .map(() => undefined)
        .orElse((e) => (e.reason === "not_found" ? traffic.writeState(state) : errAsync(e))),
    );
}

function provisionHaproxy(
  d: LabDrivers,
  edge: LabEdge,
  traffic: HaproxySwitch,
): ResultAsync<void, DriverError> {
  const { host, topology } = d;
  const name = edge.container;
  return provisionContainer(host, name, ["/etc/haproxy", "/run/haproxy", "/var/lib/veza"], [])
    .andThen(() => seedHaproxy(host, edge, traffic))
    .andThen(() => host.pushFile(name, "/etc/inittab", HAPROXY_INITTAB, { mode: 0o644 }))
    .andThen(() => inContainer(host, name, ["kill", "-HUP", "1"]))
    .andThen(() => waitHealthy(d.probe, labEdgeHealthUrl(edge, topology)));
}

/**
 * Creates (or keeps) one edge's HAProxy container with its devices and provisions it
 * through driver-haproxy (edge 1 through `d.traffic`, the others through their own switch).
 */
export function provisionLabEdge(
  d: LabDrivers,
  instances: IncusInstances,
  edge: LabEdge,
  log: (line: string) => void,
): ResultAsync<void, DriverError> {
  const traffic = edge === LAB_EDGES[0] ? ok(d.traffic) : labTrafficSwitch(d.host, d.topology, { edge });
  if (traffic.isErr()) return errAsync(traffic.error);
  return instances
    .ensure({ name: edge.container, devices: haproxyDevices(d.topology, edge), ...labPlacement() }, LAB_IMAGE)
    .andThen((outcome) =>
      provisionHaproxy(d, edge, traffic.value).map(() =>
        log(`${edge.container} (${edge.name}): ${outcome}, public URL ${labEdgeHealthUrl(edge, d.topology)}`),
      ),
    );
}

/**
 * `pnpm lab up`: provisions env `lab` on the site's Incus (`LAB_SITE`: the local one, or
 * the cluster with each color on its own member) through Backflip's drivers, and
 * is idempotent (containers left by an earlier run are kept and re-provisioned, a dead
 * registry is restarted, an existing traffic state is kept):
 * the fake registry with every lab artifact; `veza-lab-{backend,stream,web}-{blue,green}`
 * running the app server; the fleet's three edges `veza-lab-haproxy` (the public URL),
 * `veza-lab-haproxy-2` and `-3` (ports 18601, 18602), each running HAProxy master-worker,
 * configured through driver-haproxy, each answering on its public port; and
 * `veza-lab-postgres` (`LAB_SITE.full`). The cluster lab has edge 1 only and no PostgreSQL.
 */
export function labUp(log: (line: string) => void = () => {}): ResultAsync<LabDrivers, DriverError> {
  const topology = labTopology();
  const incus = labIncusOptions();
  if (incus.isErr()) return errAsync(incus.error);
  const instances = new IncusInstances(incus.value.socketPath);
  const done = instances
    .hasImageAlias(LAB_IMAGE)
    .andThen((has) =>
      has
        ? okAsync(undefined)
        : errAsync(
            driverError({
              driver: "lab",
              op: "up",
              reason: "not_found",
              message: `Incus has no image \`${LAB_IMAGE}\``,
              hint: `run \`scripts/backends up ${LAB_SITE.incusBackend}\` (it imports the busybox image)`,
            }),
          ),
    )
    .andThen(() => ensureLabRegistry())
    .andThen(({ state, started }) => {
      log(`registry: fake Forgejo ${started ? "started" : "running"} on ${state.baseUrl} (pid ${state.pid})`);
      const drivers = labDrivers(topology);
      return drivers.isErr() ? errAsync(drivers.error) : okAsync(drivers.value);
    })
    .andThen((d) =>
      inOrder(labApps(topology), (app) =>
        instances
          .ensure({ name: app.name, devices: appDevices(app), ...labPlacement(app.color) }, LAB_IMAGE)
          .andThen((outcome) =>
            provisionApp(d, app).map(() => log(`${app.name}: ${outcome}, serving on 127.0.0.1:${app.port}`)),
          ),
      )
        .andThen(() => inOrder(LAB_EDGES, (edge) => provisionLabEdge(d, instances, edge, log)))
        .map(() => d),
    );
  return done
    .andThen((d) =>
      (LAB_SITE.full ? provisionLabPostgres(d, instances, LAB_IMAGE, log) : okAsync(undefined)).map(() => d),
    )
    .andThen((d) => instances.close().map(() => d))
    .orElse((e) => instances.close().andThen(() => errAsync(e)));
}
