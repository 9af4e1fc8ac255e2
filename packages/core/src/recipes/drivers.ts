import type { DegradedMarkerStore } from "../fleet/degraded-marker";
import type { AlertSource } from "../ports/alert-source";
import type { ArtifactRegistry } from "../ports/artifact-registry";
import type { ContainerHost } from "../ports/container-host";
import type { Database } from "../ports/database";
import type { HealthProbe } from "../ports/health-probe";
import type { Pipeline } from "../ports/pipeline";
import type { Shell } from "../ports/shell";
import type { SnapshotStore } from "../ports/snapshot-store";
import type { TrafficSwitch } from "../ports/traffic-switch";

/**
 * The drivers a recipe works through: real ones (Incus, HAProxy, Forgejo, …) or the
 * simulated fleet. Optional ones are needed only by the paths that use them.
 */
export interface Drivers {
  /** Containers: state pre-checks, start/stop, staging files, cleanup. */
  readonly host: ContainerHost;
  /** The proxy that moves traffic between colors (Path 1). */
  readonly traffic: TrafficSwitch;
  /** A fleet's edge proxies by name (the topology's `traffic.edges`), flipped all-or-nothing. */
  readonly edges?: Readonly<Record<string, TrafficSwitch>>;
  /** Where a fleet keeps its degraded marker (needed by a fleet flip that may leave edges behind). */
  readonly fleetMarker?: DegradedMarkerStore;
  /** Public and local health checks. */
  readonly probe: HealthProbe;
  /** Artifacts per component and SHA (Path 2 pre-check, Path 3 push). */
  readonly registry?: ArtifactRegistry;
  /** Workflow dispatch (`rollback.yml`, `cleanup-failed.yml`). */
  readonly pipeline?: Pipeline;
  /** The application database (inverse SQL, migration state). */
  readonly database?: Database;
  /** Dataset snapshots (`zfs rollback -r`). */
  readonly snapshots?: SnapshotStore;
  /** A shell on the container host, for host-side commands. */
  readonly hostShell?: Shell;
  /** The alert source (`VezaDeployFailed`). */
  readonly alerts?: AlertSource;
}

/** The name of one driver a recipe can use: `host`, `traffic`, `database`, … */
export type DriverName = keyof Drivers;

/**
 * The drivers a recipe declares: every driver in `Need` is required (a missing one is a
 * compile error), every driver in `Optional` is used when given.
 */
export type DriversFor<Need extends DriverName, Optional extends DriverName = never> = {
  readonly [K in Need]-?: NonNullable<Drivers[K]>;
} & { readonly [K in Optional]?: Drivers[K] };
