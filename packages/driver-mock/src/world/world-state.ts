import type { FileMeta, RunStatus, Topology } from "@backflip/core";
import type { ManualClock } from "../fleet-clock";
import { type FleetLayout, type FleetProxy, fleetLayout } from "../fleet-layout";

/** A cell of a simulated table. */
export type DbValue = string | number | boolean | null;

/** A row: column name → value. */
export type DbRow = Record<string, DbValue>;

/** A simulated table: ordered columns and rows. */
export interface DbTable {
  columns: string[];
  rows: DbRow[];
}

/** A container's (or dataset's) content: its files and, for the postgres container, its database. */
export interface DiskImage {
  files: Map<string, Uint8Array>;
  meta: Map<string, FileMeta>;
  db: Map<string, DbTable> | null;
}

/** A point-in-time copy of a disk image. */
export interface SnapshotState {
  readonly name: string;
  readonly createdAt: Date;
  readonly image: DiskImage;
}

/** What a container is for (`extra`: one a test added, outside the topology's roles). */
export type ContainerRole = "app" | "haproxy" | "postgres" | "extra";

/** One simulated container. */
export interface ContainerState {
  readonly name: string;
  readonly role: ContainerRole;
  readonly component?: string;
  readonly color?: string;
  status: "Running" | "Stopped";
  healthy: boolean;
  image: DiskImage;
  /** Incus instance snapshots, oldest first. */
  snapshots: SnapshotState[];
}

/** The fields of a container every copy of it carries: name, role, component, color, status, health. */
export type ContainerBasics = Pick<
  ContainerState,
  "name" | "role" | "component" | "color" | "status" | "healthy"
>;

/** `c`'s {@link ContainerBasics}, without the optional fields it does not have. */
export function containerBasics(c: ContainerBasics): ContainerBasics {
  return {
    name: c.name,
    role: c.role,
    ...(c.component === undefined ? {} : { component: c.component }),
    ...(c.color === undefined ? {} : { color: c.color }),
    status: c.status,
    healthy: c.healthy,
  };
}

/** A ZFS dataset: a container's disk, or a standalone one (`container: null`, own image). */
export interface DatasetState {
  readonly name: string;
  readonly container: string | null;
  image: DiskImage;
  /** Oldest first. */
  snapshots: SnapshotState[];
}

/** One stored artifact. */
export interface ArtifactState {
  readonly component: string;
  readonly sha: string;
  bytes: Uint8Array;
  readonly sha256: string;
  readonly createdAt: Date;
  /** Upload order, for "newest first" within one millisecond. */
  readonly seq: number;
}

/** How a custom workflow's runs end. */
export type WorkflowOutcome = "success" | "failure" | "never";

/** One workflow run. */
export interface RunRecord {
  readonly id: number;
  readonly runNumber: number;
  readonly workflow: string;
  readonly ref: string;
  readonly inputs: Readonly<Record<string, string>>;
  status: RunStatus;
  readonly createdAt: Date;
  /** What the run did or why it failed, one line per fact. */
  log: string[];
}

/** Everything the simulated fleet knows. One instance behind every driver. */
export class WorldState {
  readonly containers = new Map<string, ContainerState>();
  readonly datasets = new Map<string, DatasetState>();
  /** component → artifacts, oldest first. */
  readonly artifacts = new Map<string, ArtifactState[]>();
  readonly runs = new Map<number, RunRecord>();
  /** Custom workflows tests define, besides the topology's rollback and cleanup ones. */
  readonly workflows = new Map<string, WorkflowOutcome>();
  /** Releases that answer unhealthy wherever they run. */
  readonly badReleases = new Set<string>();
  /** Alerts forced to fire, besides the computed `VezaDeployFailed`. */
  readonly firingAlerts = new Set<string>();
  /** The container host's own files (the host shell's filesystem). */
  readonly host: DiskImage = emptyImage();
  /** The config the running HAProxy loaded (process memory, not a file). */
  loadedConfig: string | null = null;
  lastDeployFailureAt: Date | null = null;
  lastDeploySuccessAt: Date | null = null;
  artifactSeq = 0;
  nextRunId = 1;

  /** Where the world keeps what the topology leaves to drivers, with fleet defaults. */
  readonly layout: FleetLayout;

  constructor(
    readonly topology: Topology,
    readonly clock: ManualClock,
    public retention: number,
    proxy?: FleetProxy,
  ) {
    this.layout = fleetLayout(topology, proxy);
  }
}

/** An empty disk image. */
export function emptyImage(db: Map<string, DbTable> | null = null): DiskImage {
  return { files: new Map(), meta: new Map(), db };
}

/** A deep copy of a database. */
export function cloneDb(db: Map<string, DbTable>): Map<string, DbTable> {
  return new Map(
    [...db].map(([name, t]) => [name, { columns: [...t.columns], rows: t.rows.map((r) => ({ ...r })) }]),
  );
}

/** A deep copy of a disk image. */
export function cloneImage(image: DiskImage): DiskImage {
  return {
    files: new Map([...image.files].map(([p, b]) => [p, new Uint8Array(b)])),
    meta: new Map([...image.meta].map(([p, m]) => [p, { ...m }])),
    db: image.db ? cloneDb(image.db) : null,
  };
}

/** Encodes text as UTF-8. */
export const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
/** Decodes UTF-8. */
export const fromUtf8 = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

/** Replaces an image's content in place (containers and their datasets share the object). */
export function replaceImage(target: DiskImage, source: DiskImage): void {
  const copy = cloneImage(source);
  target.files = copy.files;
  target.meta = copy.meta;
  target.db = copy.db;
}
