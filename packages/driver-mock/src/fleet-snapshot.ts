import { type DriverError, type HealthProbe, RUN_STATUSES, topologySchema } from "@backflip/core";
import { invalidInput, lazySchema, parseInput } from "@backflip/core/driver-kit";
import { err, ok, type Result } from "neverthrow";
import * as z from "zod";
import { assembleFleet, worldOf } from "./assemble-fleet";
import type { Fleet } from "./create-fleet";
import { FaultTable } from "./fault-injector";
import { type ClockMode, ManualClock } from "./fleet-clock";
import {
  type ContainerState,
  containerBasics,
  type DbTable,
  type DiskImage,
  type SnapshotState,
  WorldState,
} from "./world/world-state";

/** The format tag and version written into every {@link FleetSnapshot}. */
export const FLEET_SNAPSHOT_FORMAT = { format: "backflip-fleet-snapshot", version: 2 } as const;

const DRIVER = "mock-fleet";

const dbValueSchema = lazySchema(() => z.union([z.string(), z.number(), z.boolean(), z.null()]));
const tableSchema = lazySchema(() =>
  z.object({
    name: z.string().min(1),
    columns: z.array(z.string()),
    rows: z.array(z.record(z.string(), dbValueSchema)),
  }),
);
const metaSchema = lazySchema(() =>
  z
    .object({
      mode: z.number().int().optional(),
      uid: z.number().int().optional(),
      gid: z.number().int().optional(),
    })
    .strict(),
);
const base64Schema = lazySchema(() => z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, "expected base64"));
const imageSchema = lazySchema(() =>
  z.object({
    files: z.array(z.object({ path: z.string().min(1), data: base64Schema })),
    meta: z.array(z.object({ path: z.string().min(1), meta: metaSchema })),
    db: z.array(tableSchema).nullable(),
  }),
);
const isoSchema = lazySchema(() => z.iso.datetime());
const savedSnapshotSchema = lazySchema(() =>
  z.object({ name: z.string().min(1), createdAt: isoSchema, image: imageSchema }),
);
const runStatusSchema = lazySchema(() => z.enum(RUN_STATUSES));

/** The JSON schema of a {@link FleetSnapshot} (validated by {@link restoreFleet}). */
const fleetSnapshotSchema = lazySchema(() =>
  z
    .object({
      format: z.literal(FLEET_SNAPSHOT_FORMAT.format),
      version: z.literal(FLEET_SNAPSHOT_FORMAT.version),
      savedAt: isoSchema,
      topology: topologySchema,
      proxy: z.object({ container: z.string().min(1), configPath: z.string().min(1) }),
      retention: z.number().int().min(1),
      loadedConfig: z.string().nullable(),
      lastDeployFailureAt: isoSchema.nullable(),
      lastDeploySuccessAt: isoSchema.nullable(),
      artifactSeq: z.number().int().min(0),
      nextRunId: z.number().int().min(1),
      host: imageSchema,
      containers: z.array(
        z.object({
          name: z.string().min(1),
          role: z.enum(["app", "haproxy", "postgres", "extra"]),
          component: z.string().optional(),
          color: z.string().optional(),
          status: z.enum(["Running", "Stopped"]),
          healthy: z.boolean(),
          image: imageSchema,
          snapshots: z.array(savedSnapshotSchema),
        }),
      ),
      datasets: z.array(
        z.object({
          name: z.string().min(1),
          container: z.string().nullable(),
          /** Only for a standalone dataset: a container's dataset shares the container's image. */
          image: imageSchema.optional(),
          snapshots: z.array(savedSnapshotSchema),
        }),
      ),
      artifacts: z.array(
        z.object({
          component: z.string().min(1),
          sha: z.string().min(1),
          bytes: base64Schema,
          sha256: z.string().regex(/^[0-9a-f]{64}$/),
          createdAt: isoSchema,
          seq: z.number().int().min(0),
        }),
      ),
      runs: z.array(
        z.object({
          id: z.number().int().min(1),
          runNumber: z.number().int().min(1),
          workflow: z.string().min(1),
          ref: z.string(),
          inputs: z.record(z.string(), z.string()),
          status: runStatusSchema,
          createdAt: isoSchema,
          log: z.array(z.string()),
        }),
      ),
      workflows: z.array(
        z.object({ file: z.string().min(1), outcome: z.enum(["success", "failure", "never"]) }),
      ),
      badReleases: z.array(z.string()),
      firingAlerts: z.array(z.string()),
    })
    .strict(),
);

/**
 * Everything a simulated fleet's world holds, as plain JSON (bytes in base64): write it to
 * a file with `JSON.stringify`, bring the same world back in another process with
 * {@link restoreFleet}. Faults, the in-memory journal and lock are not part of it.
 */
export interface FleetSnapshot extends z.output<typeof fleetSnapshotSchema> {}

/** Options for {@link restoreFleet}: the same as `createFleet`'s, without topology and scenario. */
export interface RestoreFleetOptions {
  /** Where the restored clock starts (default: the snapshot's `savedAt`). */
  readonly now?: Date;
  /** `manual` (default) or `realtime`. */
  readonly clock?: ClockMode;
  /** Real milliseconds a pipeline `follow` waits between polls at most (default 10). */
  readonly realPollCapMs?: number;
  /** Answers health URLs outside the fleet. */
  readonly probeFallback?: HealthProbe;
}

type SavedImage = z.output<typeof imageSchema>;

const toBase64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");
const fromBase64 = (text: string) => new Uint8Array(Buffer.from(text, "base64"));

function saveImage(image: DiskImage): SavedImage {
  return {
    files: [...image.files].map(([path, bytes]) => ({ path, data: toBase64(bytes) })),
    meta: [...image.meta].map(([path, meta]) => ({ path, meta: { ...meta } })),
    db: image.db
      ? [...image.db].map(([name, t]) => ({
          name,
          columns: [...t.columns],
          rows: t.rows.map((r) => ({ ...r })),
        }))
      : null,
  };
}

function loadImage(saved: SavedImage): DiskImage {
  return {
    files: new Map(saved.files.map((f) => [f.path, fromBase64(f.data)])),
    meta: new Map(saved.meta.map((m) => [m.path, { ...m.meta }])),
    db: saved.db
      ? new Map<string, DbTable>(
          saved.db.map((t) => [t.name, { columns: [...t.columns], rows: t.rows.map((r) => ({ ...r })) }]),
        )
      : null,
  };
}

const saveSnapshots = (list: readonly SnapshotState[]) =>
  list.map((s) => ({ name: s.name, createdAt: s.createdAt.toISOString(), image: saveImage(s.image) }));
const loadSnapshots = (list: readonly z.output<typeof savedSnapshotSchema>[]): SnapshotState[] =>
  list.map((s) => ({ name: s.name, createdAt: new Date(s.createdAt), image: loadImage(s.image) }));

/**
 * The whole world of a fleet made by `createFleet` (or {@link restoreFleet}) as JSON:
 * containers with their files, statuses and snapshots, the proxy's loaded config,
 * datasets, registry artifacts, workflow runs, the database, alerts. Changes nothing.
 * `invalid_input` for a fleet not made by this package.
 */
export function snapshotFleet(fleet: Fleet): Result<FleetSnapshot, DriverError> {
  const w = worldOf(fleet);
  if (!w)
    return err(invalidInput(DRIVER, "snapshotFleet", "not a fleet made by createFleet or restoreFleet"));
  return ok({
    ...FLEET_SNAPSHOT_FORMAT,
    savedAt: w.clock.now().toISOString(),
    topology: w.topology,
    proxy: w.layout.proxy,
    retention: w.retention,
    loadedConfig: w.loadedConfig,
    lastDeployFailureAt: w.lastDeployFailureAt?.toISOString() ?? null,
    lastDeploySuccessAt: w.lastDeploySuccessAt?.toISOString() ?? null,
    artifactSeq: w.artifactSeq,
    nextRunId: w.nextRunId,
    host: saveImage(w.host),
    containers: [...w.containers.values()].map((c) => ({
      ...containerBasics(c),
      image: saveImage(c.image),
      snapshots: saveSnapshots(c.snapshots),
    })),
    datasets: [...w.datasets.values()].map((d) => ({
      name: d.name,
      container: d.container,
      ...(d.container === null ? { image: saveImage(d.image) } : {}),
      snapshots: saveSnapshots(d.snapshots),
    })),
    artifacts: [...w.artifacts.values()].flat().map((a) => ({
      component: a.component,
      sha: a.sha,
      bytes: toBase64(a.bytes),
      sha256: a.sha256,
      createdAt: a.createdAt.toISOString(),
      seq: a.seq,
    })),
    runs: [...w.runs.values()].map((r) => ({
      id: r.id,
      runNumber: r.runNumber,
      workflow: r.workflow,
      ref: r.ref,
      inputs: { ...r.inputs },
      status: r.status,
      createdAt: r.createdAt.toISOString(),
      log: [...r.log],
    })),
    workflows: [...w.workflows].map(([file, outcome]) => ({ file, outcome })),
    badReleases: [...w.badReleases],
    firingAlerts: [...w.firingAlerts],
  });
}

function fillWorld(world: WorldState, s: FleetSnapshot): Result<void, DriverError> {
  world.loadedConfig = s.loadedConfig;
  world.lastDeployFailureAt = s.lastDeployFailureAt ? new Date(s.lastDeployFailureAt) : null;
  world.lastDeploySuccessAt = s.lastDeploySuccessAt ? new Date(s.lastDeploySuccessAt) : null;
  world.artifactSeq = s.artifactSeq;
  world.nextRunId = s.nextRunId;
  const host = loadImage(s.host);
  world.host.files = host.files;
  world.host.meta = host.meta;
  world.host.db = host.db;
  for (const c of s.containers) {
    const container: ContainerState = {
      ...containerBasics(c),
      image: loadImage(c.image),
      snapshots: loadSnapshots(c.snapshots),
    };
    world.containers.set(c.name, container);
  }
  for (const d of s.datasets) {
    let image: DiskImage;
    if (d.container === null) {
      if (!d.image) return err(invalidInput(DRIVER, "restoreFleet", `datasets: ${d.name} has no image`));
      image = loadImage(d.image);
    } else {
      const owner = world.containers.get(d.container);
      if (!owner)
        return err(invalidInput(DRIVER, "restoreFleet", `datasets: ${d.name} names a missing container`));
      image = owner.image;
    }
    world.datasets.set(d.name, {
      name: d.name,
      container: d.container,
      image,
      snapshots: loadSnapshots(d.snapshots),
    });
  }
  for (const a of [...s.artifacts].sort((x, y) => x.seq - y.seq)) {
    const list = world.artifacts.get(a.component) ?? [];
    list.push({
      component: a.component,
      sha: a.sha,
      bytes: fromBase64(a.bytes),
      sha256: a.sha256,
      createdAt: new Date(a.createdAt),
      seq: a.seq,
    });
    world.artifacts.set(a.component, list);
  }
  for (const r of s.runs)
    world.runs.set(r.id, { ...r, inputs: { ...r.inputs }, createdAt: new Date(r.createdAt) });
  for (const wf of s.workflows) world.workflows.set(wf.file, wf.outcome);
  for (const sha of s.badReleases) world.badReleases.add(sha);
  for (const name of s.firingAlerts) world.firingAlerts.add(name);
  return ok(undefined);
}

/**
 * Builds a fleet holding the world of a {@link FleetSnapshot} (e.g. read back from a
 * file): the same containers, files, proxy state, registry, runs and data, with fresh
 * drivers, no faults, and an empty in-memory journal and lock. `invalid_input` naming
 * the field when the snapshot is malformed or of another format version.
 */
export function restoreFleet(
  snapshot: unknown,
  options: RestoreFleetOptions = {},
): Result<Fleet, DriverError> {
  const parsed = parseInput(fleetSnapshotSchema, snapshot, {
    driver: DRIVER,
    op: "restoreFleet",
    hint: `pass what snapshotFleet returned (format version ${FLEET_SNAPSHOT_FORMAT.version})`,
  });
  if (parsed.isErr()) return err(parsed.error);
  const s = parsed.value;
  const now = options.now ?? new Date(s.savedAt);
  if (!(now instanceof Date) || Number.isNaN(now.getTime()))
    return err(invalidInput(DRIVER, "restoreFleet", "now: expected a valid Date"));
  if (options.clock !== undefined && options.clock !== "manual" && options.clock !== "realtime")
    return err(invalidInput(DRIVER, "restoreFleet", "clock: expected manual or realtime"));
  const cap = options.realPollCapMs ?? 10;
  if (!Number.isFinite(cap) || cap < 0)
    return err(invalidInput(DRIVER, "restoreFleet", "realPollCapMs: expected a number ≥ 0"));
  const clock = new ManualClock(now, options.clock);
  const world = new WorldState(s.topology, clock, s.retention, s.proxy);
  const filled = fillWorld(world, s);
  if (filled.isErr()) return err(filled.error);
  return ok(
    assembleFleet(
      s.topology,
      world,
      { clock, faults: new FaultTable() },
      {
        realPollCapMs: cap,
        probeFallback: options.probeFallback,
      },
    ),
  );
}
