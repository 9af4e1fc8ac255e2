import {
  type ArtifactRef,
  colorContainers,
  type DatasetSnapshot,
  type DriverError,
  driverError,
  type HistoryEntry,
  type MigrationState,
  type RunStatus,
} from "@backflip/core";
import {
  absolutePathSchema,
  datasetNameSchema,
  instanceNameSchema,
  invalidInput,
  parseInput,
  shaSchema,
  simpleNameSchema,
} from "@backflip/core/driver-kit";
import { err, ok, type Result } from "neverthrow";
import * as z from "zod";
import { byName } from "./world/by-name";
import { parseHaproxyConfig } from "./world/haproxy-files";
import { artifactBytes, sha256Hex } from "./world/seed-world";
import {
  answerHealth,
  deployColor,
  destroyColor,
  haproxyOf,
  liveColor,
  putContainer,
  readText,
  releaseOf,
  trafficState,
} from "./world/world-actions";
import {
  type ContainerRole,
  type ContainerState,
  containerBasics,
  type DbRow,
  type DbValue,
  emptyImage,
  utf8,
  type WorkflowOutcome,
  type WorldState,
} from "./world/world-state";

/** A container as tests see it (a copy: changing it changes nothing). */
export interface ContainerView {
  readonly name: string;
  readonly role: ContainerRole;
  readonly component?: string;
  readonly color?: string;
  readonly status: "Running" | "Stopped";
  /** The app's own health flag (an app also answers unhealthy when stopped, without a release, or on a bad release). */
  readonly healthy: boolean;
  /** The release SHA from the topology's release file (default `/opt/veza/RELEASE`), or `null`. */
  readonly sha: string | null;
  /** Path → bytes. */
  readonly files: ReadonlyMap<string, Uint8Array>;
  /** Incus snapshot names, oldest first. */
  readonly snapshots: readonly string[];
}

/** The traffic side as tests see it. */
export interface TrafficView {
  /** What the state file says (`null` when missing). */
  readonly activeColor: string | null;
  /** The history file, newest first. */
  readonly history: readonly HistoryEntry[];
  /** The color the running proxy routes to (`null` when it is down). */
  readonly liveColor: string | null;
  /** The revision the running proxy loaded. */
  readonly liveRevision: string | null;
  /** The revision of the installed config file. */
  readonly installedRevision: string | null;
  /** The installed `haproxy.cfg`. */
  readonly config: string | null;
  /** The `.prev` config kept by the last install. */
  readonly previousConfig: string | null;
}

/** One registry artifact as tests see it. */
export interface ArtifactView {
  readonly component: string;
  readonly sha: string;
  readonly size: number;
  readonly sha256: string;
  readonly createdAt: string;
}

/** One workflow run as tests see it. */
export interface RunView {
  readonly id: number;
  readonly workflow: string;
  readonly ref: string;
  readonly inputs: Readonly<Record<string, string>>;
  readonly status: RunStatus;
  readonly createdAt: string;
  /** What the run did, or why it failed. */
  readonly log: readonly string[];
}

/** A simulated table. */
export interface TableView {
  readonly columns: readonly string[];
  readonly rows: readonly Readonly<Record<string, DbValue>>[];
}

/** A dataset and its snapshots, oldest first. */
export interface DatasetView {
  readonly name: string;
  /** The container whose disk it is, or `null` for a standalone dataset. */
  readonly container: string | null;
  readonly snapshots: readonly DatasetSnapshot[];
}

/** The alert facts. */
export interface AlertsView {
  readonly lastDeployFailureAt: string | null;
  readonly lastDeploySuccessAt: string | null;
  /** Alerts forced to fire besides the computed `VezaDeployFailed`. */
  readonly forced: readonly string[];
}

/** What a health URL answers right now. */
export type HealthView = { readonly refused: string } | { readonly status: number; readonly body: string };

/**
 * The simulated world, for tests: read-only views (copies) and mutators that change the
 * world behind the drivers' backs. Mutators validate like the drivers (`invalid_input`,
 * `not_found`) and never throw.
 */
export class FleetWorld {
  readonly #w: WorldState;

  /** Wraps the fleet's one world state. */
  constructor(world: WorldState) {
    this.#w = world;
  }

  // ---- views ----

  /** One container, or `null` when it does not exist. */
  container(name: string): ContainerView | null {
    const c = this.#w.containers.get(name);
    return c ? view(this.#w, c) : null;
  }

  /** Every container, by name. */
  containers(): ContainerView[] {
    return [...this.#w.containers.values()].sort(byName).map((c) => view(this.#w, c));
  }

  /** The app containers of a color that exist, in component order. */
  colorContainers(color: string): ContainerView[] {
    return colorContainers(this.#w.topology, color)
      .map((n) => this.container(n))
      .filter((c): c is ContainerView => c !== null);
  }

  /** The release SHA of a container, or `null`. */
  release(name: string): string | null {
    return releaseOf(this.#w, this.#w.containers.get(name));
  }

  /** The traffic state: files, the running proxy's revision and color. */
  traffic(): TrafficView {
    const proxy = haproxyOf(this.#w);
    const config = readText(proxy, this.#w.layout.proxy.configPath);
    const state = trafficState(this.#w);
    return {
      activeColor: state?.activeColor ?? null,
      history: state?.history ?? [],
      liveColor: liveColor(this.#w),
      liveRevision: this.#w.loadedConfig === null ? null : parseHaproxyConfig(this.#w.loadedConfig).revision,
      installedRevision: config === null ? null : parseHaproxyConfig(config).revision,
      config,
      previousConfig: readText(proxy, `${this.#w.layout.proxy.configPath}.prev`),
    };
  }

  /** What the public health URL answers now. */
  publicHealth(): HealthView {
    return answerHealth(this.#w, new URL(this.#w.layout.publicHealthUrl));
  }

  /** The registry's artifacts (of one component, or all), oldest first. */
  artifacts(component?: string): ArtifactView[] {
    return [...this.#w.artifacts.values()]
      .flat()
      .filter((a) => component === undefined || a.component === component)
      .sort((a, b) => a.seq - b.seq)
      .map((a) => ({
        component: a.component,
        sha: a.sha,
        size: a.bytes.length,
        sha256: a.sha256,
        createdAt: a.createdAt.toISOString(),
      }));
  }

  /** True when the registry holds the component's artifact for the SHA. */
  hasArtifact(component: string, sha: string): boolean {
    return (this.#w.artifacts.get(component) ?? []).some((a) => a.sha === sha);
  }

  /** Every workflow run, oldest first. */
  runs(): RunView[] {
    return [...this.#w.runs.values()].map((r) => ({
      id: r.id,
      workflow: r.workflow,
      ref: r.ref,
      inputs: { ...r.inputs },
      status: r.status,
      createdAt: r.createdAt.toISOString(),
      log: [...r.log],
    }));
  }

  /** A table of the database, or `null` when it does not exist. */
  table(name: string): TableView | null {
    const t = this.#db()?.get(name);
    return t ? { columns: [...t.columns], rows: t.rows.map((r) => ({ ...r })) } : null;
  }

  /** The database's table names. */
  tables(): string[] {
    return [...(this.#db()?.keys() ?? [])].sort();
  }

  /** `schema_migrations` as the database driver reads it. */
  migration(): MigrationState {
    const t = this.#db()?.get("schema_migrations");
    if (!t) return { managed: false, version: null, dirty: false };
    const row = t.rows[0];
    return row
      ? { managed: true, version: Number(row.version), dirty: row.dirty === true }
      : { managed: true, version: null, dirty: false };
  }

  /** Every dataset with its snapshots. */
  datasets(): DatasetView[] {
    return [...this.#w.datasets.values()].sort(byName).map((d) => ({
      name: d.name,
      container: d.container,
      snapshots: d.snapshots.map((s) => ({
        dataset: d.name,
        name: s.name,
        createdAt: s.createdAt.toISOString(),
      })),
    }));
  }

  /** The alert facts. */
  alerts(): AlertsView {
    return {
      lastDeployFailureAt: this.#w.lastDeployFailureAt?.toISOString() ?? null,
      lastDeploySuccessAt: this.#w.lastDeploySuccessAt?.toISOString() ?? null,
      forced: [...this.#w.firingAlerts],
    };
  }

  // ---- mutators ----

  /** Sets a container Running or Stopped. */
  setStatus(name: string, status: "Running" | "Stopped"): Result<void, DriverError> {
    return this.#container("setStatus", name).andThen((c) =>
      status === "Running" || status === "Stopped"
        ? apply(() => {
            c.status = status;
          })(c)
        : err(invalidInput("mock-world", "setStatus", "status: expected Running or Stopped")),
    );
  }

  /** Sets a container's health flag. */
  setHealthy(name: string, healthy: boolean): Result<void, DriverError> {
    return this.#container("setHealthy", name).andThen(
      apply((c) => {
        c.healthy = healthy;
      }),
    );
  }

  /** Sets the status and/or health of every existing app container of a color. */
  setColor(color: string, state: { running?: boolean; healthy?: boolean }): Result<void, DriverError> {
    return this.#color("setColor", color).andThen(
      apply((c) => {
        for (const name of colorContainers(this.#w.topology, c)) {
          const container = this.#w.containers.get(name);
          if (!container) continue;
          if (state.running !== undefined) container.status = state.running ? "Running" : "Stopped";
          if (state.healthy !== undefined) container.healthy = state.healthy;
        }
      }),
    );
  }

  /** (Re)creates a color's app containers carrying `sha` (default running and healthy). */
  deployColor(
    color: string,
    sha: string,
    state: { running?: boolean; healthy?: boolean } = {},
  ): Result<void, DriverError> {
    return this.#color("deployColor", color).andThen((c) =>
      parseInput(shaSchema, sha, { driver: "mock-world", op: "deployColor" }).map((s) =>
        deployColor(this.#w, c, s, { running: state.running ?? true, healthy: state.healthy ?? true }),
      ),
    );
  }

  /** Destroys a color's app containers (what the cleanup workflow does). */
  destroyColor(color: string): Result<void, DriverError> {
    return this.#color("destroyColor", color).map((c) => destroyColor(this.#w, c));
  }

  /** Writes a file into a container. */
  writeFile(name: string, path: string, data: string | Uint8Array): Result<void, DriverError> {
    return this.#container("writeFile", name).andThen((c) =>
      parseInput(absolutePathSchema, path, { driver: "mock-world", op: "writeFile" }).andThen(
        apply((p) => {
          c.image.files.set(p, typeof data === "string" ? utf8(data) : new Uint8Array(data));
          if (!c.image.meta.has(p)) c.image.meta.set(p, { mode: 0o644, uid: 0, gid: 0 });
        }),
      ),
    );
  }

  /** Sets the release a container carries (writes the topology's release file). */
  setRelease(name: string, sha: string): Result<void, DriverError> {
    return parseInput(shaSchema, sha, { driver: "mock-world", op: "setRelease" }).andThen((s) =>
      this.writeFile(name, this.#w.layout.releaseFile, `${s}\n`),
    );
  }

  /** Marks a release bad (or good again): every container running it answers unhealthy. */
  markBadRelease(sha: string, bad = true): Result<void, DriverError> {
    return parseInput(shaSchema, sha, { driver: "mock-world", op: "markBadRelease" }).andThen(
      apply((s) => {
        if (bad) this.#w.badReleases.add(s);
        else this.#w.badReleases.delete(s);
      }),
    );
  }

  /** Puts an artifact in the registry (deterministic bytes by default), as the newest version. */
  addArtifact(component: string, sha: string, bytes?: Uint8Array): Result<void, DriverError> {
    return this.#ref("addArtifact", { component, sha }).andThen((r) => {
      const data = bytes ? new Uint8Array(bytes) : artifactBytes(r.component, r.sha);
      const list = (this.#w.artifacts.get(r.component) ?? []).filter((a) => a.sha !== r.sha);
      list.push({
        component: r.component,
        sha: r.sha,
        bytes: data,
        sha256: sha256Hex(data),
        createdAt: this.#w.clock.now(),
        seq: this.#w.artifactSeq++,
      });
      this.#w.artifacts.set(r.component, list);
      return ok(undefined);
    });
  }

  /** Removes one component's artifact (what a retention rule does); `not_found` when absent. */
  purgeArtifact(component: string, sha: string): Result<void, DriverError> {
    return this.#ref("purgeArtifact", { component, sha }).andThen((r) => {
      const list = this.#w.artifacts.get(r.component) ?? [];
      const index = list.findIndex((a) => a.sha === r.sha);
      if (index < 0) return err(notFound("purgeArtifact", `${r.component}@${r.sha} is not in the registry`));
      list.splice(index, 1);
      return ok(undefined);
    });
  }

  /** Removes a SHA's artifacts for every component. */
  purgeRelease(sha: string): Result<void, DriverError> {
    return parseInput(shaSchema, sha, { driver: "mock-world", op: "purgeRelease" }).andThen(
      apply((s) => {
        for (const [component, list] of this.#w.artifacts) {
          this.#w.artifacts.set(
            component,
            list.filter((a) => a.sha !== s),
          );
        }
      }),
    );
  }

  /** Replaces an artifact's stored bytes (same size, listed digest unchanged): its download then fails the checksum. */
  corruptArtifact(ref: ArtifactRef): Result<void, DriverError> {
    return this.#ref("corruptArtifact", ref).andThen((r) => {
      const found = this.#w.artifacts.get(r.component)?.find((a) => a.sha === r.sha);
      if (!found) return err(notFound("corruptArtifact", `${r.component}@${r.sha} is not in the registry`));
      found.bytes = found.bytes.map((b) => b ^ 0xff);
      return ok(undefined);
    });
  }

  /** Changes the registry's keep-N rule (applied on the next upload). */
  setRetention(keep: number): Result<void, DriverError> {
    return parseInput(z.number().int().min(1), keep, { driver: "mock-world", op: "setRetention" }).andThen(
      apply((n) => {
        this.#w.retention = n;
      }),
    );
  }

  /** Defines a custom workflow whose runs end in `outcome` (`never`: they run until cancelled). */
  defineWorkflow(file: string, outcome: WorkflowOutcome): Result<void, DriverError> {
    return parseInput(
      z.object({
        file: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*\.ya?ml$/),
        outcome: z.enum(["success", "failure", "never"]),
      }),
      { file, outcome },
      { driver: "mock-world", op: "defineWorkflow" },
    ).andThen(
      apply((v) => {
        this.#w.workflows.set(v.file, v.outcome);
      }),
    );
  }

  /** Sets `schema_migrations` (one row, or none for `version: null`), or drops it (`"unmanaged"`). */
  setMigration(state: { version: number | null; dirty: boolean } | "unmanaged"): Result<void, DriverError> {
    const db = this.#db();
    if (!db) return err(notFound("setMigration", "the database container does not exist"));
    if (state === "unmanaged") {
      db.delete("schema_migrations");
      return ok(undefined);
    }
    return parseInput(z.object({ version: z.number().int().min(0).nullable(), dirty: z.boolean() }), state, {
      driver: "mock-world",
      op: "setMigration",
    }).andThen(
      apply((s) => {
        db.set("schema_migrations", {
          columns: ["version", "dirty"],
          rows: s.version === null ? [] : [{ version: s.version, dirty: s.dirty }],
        });
      }),
    );
  }

  /** Creates or replaces a table of the database. */
  setTable(
    name: string,
    table: { columns: readonly string[]; rows: readonly Readonly<DbRow>[] },
  ): Result<void, DriverError> {
    const db = this.#db();
    if (!db) return err(notFound("setTable", "the database container does not exist"));
    return parseInput(simpleNameSchema.or(z.literal("schema_migrations")), name, {
      driver: "mock-world",
      op: "setTable",
    }).andThen(
      apply((n) => {
        db.set(n, { columns: [...table.columns], rows: table.rows.map((r) => ({ ...r })) });
      }),
    );
  }

  /** Adds a container outside the topology's roles (running by default), with its dataset; `conflict` when it exists. */
  addContainer(name: string, state: { running?: boolean } = {}): Result<void, DriverError> {
    return parseInput(instanceNameSchema, name, { driver: "mock-world", op: "addContainer" }).andThen((n) => {
      if (this.#w.containers.has(n))
        return err(
          driverError({
            driver: "mock-world",
            op: "addContainer",
            reason: "conflict",
            message: `${n} exists`,
          }),
        );
      putContainer(this.#w, {
        name: n,
        role: "extra",
        status: state.running === false ? "Stopped" : "Running",
        healthy: true,
        image: emptyImage(),
        snapshots: [],
      });
      return ok(undefined);
    });
  }

  /** A file of a dataset's current content (a container's disk or a standalone dataset), or `null`. */
  datasetFile(dataset: string, path: string): Uint8Array | null {
    const bytes = this.#w.datasets.get(dataset)?.image.files.get(path);
    return bytes ? new Uint8Array(bytes) : null;
  }

  /** Writes a file into a dataset's current content. */
  writeDatasetFile(dataset: string, path: string, data: string | Uint8Array): Result<void, DriverError> {
    return parseInput(datasetNameSchema, dataset, { driver: "mock-world", op: "writeDatasetFile" }).andThen(
      (d) =>
        parseInput(absolutePathSchema, path, { driver: "mock-world", op: "writeDatasetFile" }).andThen(
          (p) => {
            const ds = this.#w.datasets.get(d);
            if (!ds) return err(notFound("writeDatasetFile", `dataset ${d} does not exist`));
            ds.image.files.set(p, typeof data === "string" ? utf8(data) : new Uint8Array(data));
            return ok(undefined);
          },
        ),
    );
  }

  /** Adds a standalone dataset (no container) with an empty disk; `conflict` when it exists. */
  addDataset(name: string): Result<void, DriverError> {
    return parseInput(datasetNameSchema, name, { driver: "mock-world", op: "addDataset" }).andThen((n) => {
      if (this.#w.datasets.has(n))
        return err(
          driverError({
            driver: "mock-world",
            op: "addDataset",
            reason: "conflict",
            message: `dataset ${n} exists`,
          }),
        );
      this.#w.datasets.set(n, { name: n, container: null, image: emptyImage(), snapshots: [] });
      return ok(undefined);
    });
  }

  /** Records a deploy outcome (what `VezaDeployFailed` compares), at `at` or now. */
  recordDeploy(outcome: "success" | "failure", at?: Date): Result<void, DriverError> {
    if (outcome !== "success" && outcome !== "failure")
      return err(invalidInput("mock-world", "recordDeploy", "outcome: expected success or failure"));
    const when = at ?? this.#w.clock.now();
    if (Number.isNaN(when.getTime()))
      return err(invalidInput("mock-world", "recordDeploy", "at: invalid date"));
    if (outcome === "success") this.#w.lastDeploySuccessAt = when;
    else this.#w.lastDeployFailureAt = when;
    return ok(undefined);
  }

  /** Forces an alert (other than the computed `VezaDeployFailed`) to fire or not. */
  setAlert(name: string, firing: boolean): Result<void, DriverError> {
    return parseInput(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), name, {
      driver: "mock-world",
      op: "setAlert",
    }).andThen(
      apply((n) => {
        if (firing) this.#w.firingAlerts.add(n);
        else this.#w.firingAlerts.delete(n);
      }),
    );
  }

  // ---- helpers ----

  #db() {
    return this.#w.containers.get(this.#w.layout.databaseContainer)?.image.db ?? null;
  }

  #container(op: string, name: string): Result<ContainerState, DriverError> {
    return parseInput(instanceNameSchema, name, { driver: "mock-world", op }).andThen((n) => {
      const c = this.#w.containers.get(n);
      return c ? ok(c) : err(notFound(op, `container ${n} does not exist`));
    });
  }

  #color(op: string, color: string): Result<string, DriverError> {
    const colors: readonly string[] = this.#w.topology.colors;
    return colors.includes(color)
      ? ok(color)
      : err(invalidInput("mock-world", op, `color "${color}" is not one of ${colors.join(", ")}`));
  }

  #ref(op: string, ref: ArtifactRef): Result<ArtifactRef, DriverError> {
    return parseInput(z.object({ component: simpleNameSchema, sha: shaSchema }), ref, {
      driver: "mock-world",
      op,
    });
  }
}

/** Runs an effect and succeeds with nothing: the body of a mutator. */
const apply =
  <T>(effect: (value: T) => void) =>
  (value: T): Result<void, DriverError> => {
    effect(value);
    return ok(undefined);
  };

function notFound(op: string, message: string): DriverError {
  return driverError({ driver: "mock-world", op, reason: "not_found", message });
}

function view(world: WorldState, c: ContainerState): ContainerView {
  return {
    ...containerBasics(c),
    sha: releaseOf(world, c),
    files: new Map([...c.image.files].map(([p, b]) => [p, new Uint8Array(b)])),
    snapshots: c.snapshots.map((s) => s.name),
  };
}
