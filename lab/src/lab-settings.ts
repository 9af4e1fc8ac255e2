import { join } from "node:path";
import { containerName, type FullTopology, type Topology } from "@backflip/core";
import { vezaHaproxy, vezaTopology } from "@backflip/core/recipes";
import { LAB_SITE } from "./lab-site";

/** The lab's environment name: containers are `veza-lab-*`. */
export const LAB_ENV = "lab";

/** The release file and stage directory every lab app container uses (the topology's `app` fields). */
export const LAB_APP = { releaseFile: "/opt/veza/RELEASE", stageDir: "/opt/veza/releases" } as const;

/** The port every app server listens on inside its own container (127.0.0.1 there). */
export const APP_INNER_PORT = 8080;

const at = LAB_SITE.portOffset;

/**
 * The lab's loopback ports (all in 18600–18699, on 127.0.0.1 only): HAProxy's public
 * frontend, and each app container's health server joined to the host by an Incus proxy
 * device (the HAProxy container reaches the same port numbers inside itself). The host
 * lab's are 18600–18622; the cluster lab's the same plus 50 (`LAB_SITE.portOffset`), so
 * both labs can be up at once.
 */
export const LAB_PORTS = {
  public: 18600 + at,
  app: {
    blue: { backend: 18610 + at, stream: 18611 + at, web: 18612 + at },
    green: { backend: 18620 + at, stream: 18621 + at, web: 18622 + at },
  },
} as const;

/**
 * The lab topology: `vezaTopology("lab")` with the public health URL on HAProxy's
 * loopback frontend and the app layout spelled out. No `app.localHealthUrl`: each
 * container answers on its own port, which the pattern cannot express, so Path 2's
 * phase D checks RUNNING and the release file (see docs/lab.md).
 */
export function labTopology(): FullTopology {
  const base = vezaTopology(LAB_ENV);
  return vezaTopology(LAB_ENV, {
    publicHealthUrl: `http://127.0.0.1:${LAB_PORTS.public}/api/v1/health`,
    containers: { ...base.containers, app: { ...LAB_APP } },
  });
}

/** The lab's HAProxy: container `veza-lab-haproxy`, config `/etc/haproxy/haproxy.cfg`. */
export const LAB_HAPROXY = vezaHaproxy(LAB_ENV);

/**
 * One edge proxy of the lab's fleet: a HAProxy container (provisioned like
 * `veza-lab-haproxy`, same config path) with its own public loopback port and its own
 * host sockets (`<lab state dir>/<socketPrefix>-{admin,master}.sock`).
 */
export interface LabEdge {
  /** The edge's name in the fleet topology's `traffic.edges`. */
  readonly name: string;
  readonly container: string;
  readonly publicPort: number;
  readonly socketPrefix: string;
}

const EDGE_1: LabEdge = {
  name: "edge-1",
  container: LAB_HAPROXY.container,
  publicPort: LAB_PORTS.public,
  socketPrefix: "haproxy",
};

/**
 * The lab's fleet: three HAProxy edges sharing the app containers. The first is the
 * lab's one HAProxy (`veza-lab-haproxy`, the public URL), so a single-proxy lab is edge 1.
 * The cluster lab (`LAB_SITE.full` false) has edge 1 only.
 */
export const LAB_EDGES: readonly [LabEdge, ...LabEdge[]] = LAB_SITE.full
  ? [
      EDGE_1,
      {
        name: "edge-2",
        container: `${LAB_HAPROXY.container}-2`,
        publicPort: 18601 + at,
        socketPrefix: "haproxy-2",
      },
      {
        name: "edge-3",
        container: `${LAB_HAPROXY.container}-3`,
        publicPort: 18602 + at,
        socketPrefix: "haproxy-3",
      },
    ]
  : [EDGE_1];

/** An edge's public health URL (the topology's health path on its own loopback port). */
export function labEdgeHealthUrl(edge: LabEdge, topology: Topology = labTopology()): string {
  return `http://127.0.0.1:${edge.publicPort}${topology.containers.healthPath}`;
}

const appPorts: Readonly<Record<string, Readonly<Record<string, number>>>> = LAB_PORTS.app;

/** One app container of the lab with its coordinates. */
export interface LabApp {
  readonly name: string;
  readonly component: string;
  readonly color: string;
  readonly port: number;
}

/** Every app container of the lab, blue first, in component order. */
export function labApps(topology: Topology = labTopology()): LabApp[] {
  return topology.colors.flatMap((color) =>
    topology.containers.components.map((component) => ({
      name: containerName(topology, component, color),
      component,
      color,
      port: appPorts[color]?.[component] ?? 0,
    })),
  );
}

/**
 * Where the lab keeps its state: `$BACKFLIP_BACKENDS_DIR/lab` (default
 * /var/tmp/backflip-backends/lab); the cluster lab's is `…/lab-cluster`.
 */
export function labStateDir(): string {
  return join(process.env.BACKFLIP_BACKENDS_DIR ?? "/var/tmp/backflip-backends", LAB_SITE.stateDirName);
}
