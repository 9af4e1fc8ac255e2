import { errAsync, okAsync, ResultAsync } from "neverthrow";
import * as z from "zod";
import type { DriverError } from "../errors/driver-error";
import { type FleetFacts, observeFleet } from "../fleet/fleet-facts";
import type { MigrationState } from "../ports/database";
import type { HistoryEntry } from "../ports/traffic-switch";
import { containerName, parseTopology, type Topology } from "../topology/topology";
import { abortSignalSchema } from "../validate/abort-signal-schema";
import { lazySchema } from "../validate/lazy-schema";
import { parseInput } from "../validate/parse-input";
import { shaSchema } from "../validate/schemas";
import type { DriversFor } from "./drivers";
import { probeOptionsSchema, RECIPE_DRIVER } from "./recipe-input";

/** The drivers {@link observe} reads through; the registry and database only when given. */
export type ObserveDrivers = DriversFor<
  "host" | "traffic" | "probe",
  "registry" | "database" | "edges" | "fleetMarker"
>;

/** One app container as observed. */
export interface ContainerFact {
  readonly name: string;
  readonly component: string;
  /** False when the container does not exist (destroyed or cleaned up). */
  readonly exists: boolean;
  readonly running: boolean;
  /** The backend's status word (`Running`, `Stopped`), or `Missing`. */
  readonly status: string;
  /** The release SHA in the container's release file, when readable. */
  readonly release: string | null;
  /** The cluster member the container is on (Incus `location`); absent when the host is not a cluster. */
  readonly location?: string;
}

/** One color's containers as observed. */
export interface ColorFacts {
  readonly color: string;
  readonly containers: readonly ContainerFact[];
  /** True when every container of the color exists and is RUNNING (Path 1's pre-check). */
  readonly allRunning: boolean;
  /** True when at least one container of the color is missing. */
  readonly anyMissing: boolean;
}

/** The public health probe's answer. */
export interface PublicHealthFact {
  readonly url: string;
  readonly healthy: boolean;
  readonly status?: number;
  /** Why it failed, when it did. */
  readonly message?: string;
}

/** Everything the runbook's pre-checks look at, gathered in one pass. */
export interface Facts {
  readonly env: string;
  /** ISO-8601 time the facts were gathered. */
  readonly observedAt: string;
  /** The active color (the state file). */
  readonly activeColor: string;
  /** The active-color history, newest first. */
  readonly history: readonly HistoryEntry[];
  /** The SHA live now, from the history head when it names the active color. */
  readonly liveSha: string | null;
  /** The prior color: the newest history entry with a color other than the active one. */
  readonly priorColor: string | null;
  /** The SHA the prior color last served, from the history. */
  readonly priorSha: string | null;
  /** Containers per color. */
  readonly colors: Readonly<Record<string, ColorFacts>>;
  /**
   * Artifact presence per SHA of the history and per component (`sha → component → present`);
   * `null` when no registry driver was given.
   */
  readonly artifacts: Readonly<Record<string, Readonly<Record<string, boolean>>>> | null;
  /** golang-migrate's state; `null` when no database driver was given. */
  readonly migration: MigrationState | null;
  /** The public health probe's answer; `null` when the topology has no `publicHealthUrl`. */
  readonly publicHealth: PublicHealthFact | null;
  /**
   * The edges of a fleet (the topology's `traffic.edges`, read through `drivers.edges`):
   * each edge's color, `split` when they disagree, the degraded marker; absent for one proxy.
   */
  readonly fleet?: FleetFacts;
}

/** Options for {@link observe}. */
export interface ObserveOptions {
  /** Probe attempts for the public health check, 1 to 100 (default 2). */
  readonly probeAttempts?: number;
  /** The probe's overall deadline in milliseconds, 1 to 600000 (default 5000). */
  readonly probeDeadlineMs?: number;
  /** Full SHAs whose artifacts to look up besides the history's. */
  readonly shas?: readonly string[];
  readonly signal?: AbortSignal;
  /** The clock stamping `observedAt` (default: the system clock). */
  readonly now?: () => Date;
}

/** The zod schema of {@link ObserveOptions}: the probe's numbers bounded as a recipe's probe options are, full SHAs. */
const observeOptionsSchema = lazySchema(() =>
  z.object({
    probeAttempts: probeOptionsSchema.shape.attempts,
    probeDeadlineMs: probeOptionsSchema.shape.deadlineMs,
    shas: z.array(shaSchema).optional(),
    signal: abortSignalSchema.optional(),
    now: z.custom<() => Date>((v) => typeof v === "function", "expected a function").optional(),
  }),
);

const decoder = new TextDecoder();

function observeColor(
  topology: Topology,
  drivers: ObserveDrivers,
  color: string,
): ResultAsync<ColorFacts, DriverError> {
  const names = topology.containers.components.map((component) => ({
    component,
    name: containerName(topology, component, color),
  }));
  const releaseFile = topology.containers.app?.releaseFile;
  return drivers.host.list({ names: names.map((n) => n.name) }).andThen((instances) =>
    ResultAsync.combine(
      names.map(({ component, name }) => {
        const info = instances.find((i) => i.name === name);
        if (!info)
          return okAsync<ContainerFact, DriverError>({
            name,
            component,
            exists: false,
            running: false,
            status: "Missing",
            release: null,
          });
        const release =
          releaseFile === undefined
            ? okAsync<string | null, DriverError>(null)
            : drivers.host
                .pullFile(name, releaseFile)
                .map((bytes): string | null => decoder.decode(bytes).trim() || null)
                .orElse(() => okAsync<string | null, DriverError>(null));
        return release.map(
          (release): ContainerFact => ({
            name,
            component,
            exists: true,
            running: info.running,
            status: info.status,
            release,
            ...(info.location === undefined ? {} : { location: info.location }),
          }),
        );
      }),
    ).map((containers) => ({
      color,
      containers,
      allRunning: containers.every((c) => c.exists && c.running),
      anyMissing: containers.some((c) => !c.exists),
    })),
  );
}

function observeArtifacts(
  topology: Topology,
  drivers: ObserveDrivers,
  shas: readonly string[],
): ResultAsync<Record<string, Record<string, boolean>> | null, DriverError> {
  const registry = drivers.registry;
  if (!registry) return okAsync(null);
  const unique = [...new Set(shas)];
  return ResultAsync.combine(
    unique.map((sha) =>
      ResultAsync.combine(
        topology.containers.components.map((component) =>
          registry.stat({ component, sha }).map((info) => [component, info !== null] as const),
        ),
      ).map((pairs) => [sha, Object.fromEntries(pairs)] as const),
    ),
  ).map((entries) => Object.fromEntries(entries));
}

/**
 * Gathers the facts the runbook's pre-checks read: the active color and history
 * (`cat active-color`, `head -2 …history`), every color's containers (`incus list … -c n,s`)
 * and the release they run, artifact presence for the history's SHAs (the registry
 * `curl -I`), the migration state, and the public health (`curl …/api/v1/health`).
 * Changes nothing.
 */
export function observe(
  topology: Topology,
  drivers: ObserveDrivers,
  options: ObserveOptions = {},
): ResultAsync<Facts, DriverError> {
  const parsed = parseTopology(topology).andThen((t) =>
    parseInput(observeOptionsSchema, options, {
      driver: RECIPE_DRIVER,
      op: "observe",
      hint: "fix the named option",
    }).map(() => t),
  );
  if (parsed.isErr()) return errAsync(parsed.error);
  const t = parsed.value;
  return drivers.traffic.readState().andThen((state) => {
    const head = state.history[0];
    const liveSha = head && head.color === state.activeColor ? (head.sha ?? null) : null;
    const prior = state.history.find((h) => h.color !== state.activeColor);
    const shas = [
      ...state.history.map((h) => h.sha).filter((s): s is string => typeof s === "string"),
      ...(options.shas ?? []),
    ];
    const url = t.publicHealthUrl;
    const probe: ResultAsync<PublicHealthFact | null, DriverError> =
      url === undefined
        ? okAsync(null)
        : drivers.probe
            .check({
              url,
              attempts: options.probeAttempts ?? 2,
              deadlineMs: options.probeDeadlineMs ?? 5000,
              intervalMs: 100,
              ...(options.signal ? { signal: options.signal } : {}),
            })
            .map((r): PublicHealthFact => ({ url, healthy: true, status: r.status }))
            .orElse((e) =>
              okAsync<PublicHealthFact, DriverError>({
                url,
                healthy: false,
                message: e.message,
                ...(typeof e.details?.status === "number" ? { status: e.details.status } : {}),
              }),
            );
    const migration: ResultAsync<MigrationState | null, DriverError> = drivers.database
      ? drivers.database.migrationState()
      : okAsync(null);
    const names = t.traffic.edges;
    const edges = drivers.edges;
    const fleet: ResultAsync<FleetFacts | null, DriverError> =
      names && edges
        ? observeFleet(
            names.flatMap((name) => {
              const sw = edges[name];
              return sw ? [{ name, sw }] : [];
            }),
            drivers.fleetMarker,
          )
        : okAsync(null);
    return ResultAsync.combine([
      ResultAsync.combine(t.colors.map((color) => observeColor(t, drivers, color))),
      observeArtifacts(t, drivers, shas),
      migration,
      probe,
      fleet,
    ] as const).map(
      ([colors, artifacts, migrationState, publicHealth, fleetFacts]): Facts => ({
        env: t.env,
        observedAt: (options.now?.() ?? new Date()).toISOString(),
        activeColor: state.activeColor,
        history: state.history,
        liveSha,
        priorColor: prior?.color ?? null,
        priorSha: prior?.sha ?? null,
        colors: Object.fromEntries(colors.map((c) => [c.color, c])),
        artifacts,
        migration: migrationState,
        publicHealth,
        ...(fleetFacts === null ? {} : { fleet: fleetFacts }),
      }),
    );
  });
}
