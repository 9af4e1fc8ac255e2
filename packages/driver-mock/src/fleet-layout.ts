import type {
  PipelineSection,
  RegistrySection,
  SnapshotsSection,
  Topology,
  TrafficSection,
} from "@backflip/core";
import { vezaHaproxy } from "@backflip/core/recipes";

/** Where the simulated proxy lives: its container and live config file (driver options, not topology). */
export interface FleetProxy {
  /** The proxy's container, e.g. `veza-staging-haproxy`. */
  readonly container: string;
  /** The live config inside it, e.g. `/etc/haproxy/haproxy.cfg`. */
  readonly configPath: string;
}

/**
 * Everything the simulated world needs, from the topology where it has the section and
 * from fleet defaults where it has not: a fleet always simulates a proxy, a database
 * container, datasets, a registry and a pipeline, whatever the recipes get to see.
 */
export interface FleetLayout {
  readonly proxy: FleetProxy;
  readonly traffic: TrafficSection;
  /** The database container (the topology's, else `<env>-database`). */
  readonly databaseContainer: string;
  /** The release file in app containers (the topology's, else `/opt/app/RELEASE`). */
  readonly releaseFile: string;
  readonly snapshots: SnapshotsSection;
  readonly registry: RegistrySection;
  readonly pipeline: PipelineSection;
  /** The public health URL the probe answers from the world (else `http://<env>.fleet<healthPath>`). */
  readonly publicHealthUrl: string;
}

/** The layout of a fleet for `topology`; `proxy` defaults to {@link vezaHaproxy} of its env. */
export function fleetLayout(topology: Topology, proxy: FleetProxy = vezaHaproxy(topology.env)): FleetLayout {
  return {
    proxy,
    traffic: topology.traffic,
    databaseContainer: topology.database?.container ?? `${topology.env}-database`,
    releaseFile: topology.containers.app?.releaseFile ?? "/opt/app/RELEASE",
    snapshots: topology.snapshots ?? {
      datasetPattern: "fleet/containers/{container}",
      prefix: "pre-deploy-",
    },
    registry: topology.registry ?? {
      owner: "fleet",
      packagePattern: "{component}",
      filePattern: "{component}-{sha}.tar.zst",
      retention: 30,
    },
    pipeline: topology.pipeline ?? { rollback: "rollback.yml", cleanup: "cleanup.yml", ref: "main" },
    publicHealthUrl:
      topology.publicHealthUrl ?? `http://${topology.env}.fleet${topology.containers.healthPath}`,
  };
}
