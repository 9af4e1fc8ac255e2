import type { Result } from "neverthrow";
import * as z from "zod";
import type { DriverError } from "../errors/driver-error";
import { lazySchema } from "../validate/lazy-schema";
import { parseInput } from "../validate/parse-input";
import {
  absolutePathSchema,
  datasetNameSchema,
  envNameSchema,
  fileNameSchema,
  gitRefSchema,
  hasUnsafeChars,
  httpUrlSchema,
  instanceNameSchema,
  simpleNameSchema,
  snapshotNameSchema,
} from "../validate/schemas";

const workflowFileSchema = lazySchema(() =>
  z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*\.ya?ml$/, "expected a workflow file name like rollback.yml"),
);

/** Fills `{name}` placeholders of a topology pattern. */
export const fillPattern = (pattern: string, values: Record<string, string>): string =>
  pattern.replace(/\{(\w+)\}/g, (_, key: string) => values[key] ?? `{${key}}`);

/** A value of each placeholder that is valid wherever it is filled in: a sample for checking a pattern's result. */
const SAMPLE: Record<string, string> = {
  component: "component",
  color: "color",
  container: "container",
  sha: "0".repeat(40),
};

/** A pattern of one line with only the placeholders `names`. */
const patternOf = (names: readonly string[]) =>
  z
    .string()
    .min(1)
    .max(1000)
    .refine((p) => !hasUnsafeChars(p), "the pattern contains a control, bidi or line-separator character")
    .refine(
      (p) => [...p.matchAll(/\{(\w+)\}/g)].every((m) => names.includes(m[1] ?? "")),
      `only the placeholders ${names.map((n) => `{${n}}`).join(", ")} are allowed`,
    );

/**
 * A pattern with the placeholders `names` whose every filled-in value `result` accepts
 * (names and SHAs are validated wherever they come from, so one sample value stands for all).
 */
const patternWith = (names: readonly string[], result: z.ZodType<string>, what: string) =>
  patternOf(names).refine(
    (p) => result.safeParse(fillPattern(p, SAMPLE)).success,
    `the pattern must give ${what}`,
  );

/** Checks a {@link TrafficSection}. */
const trafficSchema = lazySchema(() =>
  z
    .object({
      stateFile: absolutePathSchema,
      historyFile: absolutePathSchema,
      historyLimit: z.number().int().min(2).max(10_000),
      edges: z
        .array(simpleNameSchema)
        .min(2)
        .max(64)
        .refine((names) => new Set(names).size === names.length, "edge names must be unique")
        .optional(),
    })
    .strict(),
);

/** Checks a {@link AppSection}. */
const appSchema = lazySchema(() =>
  z
    .object({
      releaseFile: absolutePathSchema,
      stageDir: absolutePathSchema,
      localHealthUrl: patternWith(
        ["container", "component", "color"],
        httpUrlSchema,
        "an http(s) URL",
      ).optional(),
    })
    .strict(),
);

/** Checks a {@link ContainersSection}. */
const containersSchema = lazySchema(() =>
  z
    .object({
      components: z.array(simpleNameSchema).min(1),
      pattern: patternOf(["component", "color"]).refine(
        (p) => p.includes("{component}") && p.includes("{color}"),
        "the pattern must contain {component} and {color}",
      ),
      healthPath: absolutePathSchema,
      app: appSchema.optional(),
    })
    .strict(),
);

/** Checks a {@link DatabaseSection}. */
const databaseSchema = lazySchema(() =>
  z
    .object({
      container: instanceNameSchema,
      name: simpleNameSchema,
      user: simpleNameSchema,
    })
    .strict(),
);

/** Checks a {@link SnapshotsSection}. */
const snapshotsSchema = lazySchema(() =>
  z
    .object({
      datasetPattern: patternWith(["container"], datasetNameSchema, "a ZFS dataset name"),
      prefix: z
        .string()
        .regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]*$/, "expected a snapshot name prefix")
        .refine(
          (p) => snapshotNameSchema.safeParse(`${p}${SAMPLE.sha}`).success,
          "the prefix and a SHA must make a snapshot name (at most 201 characters)",
        ),
    })
    .strict(),
);

/** Checks a {@link RegistrySection}. */
const registrySchema = lazySchema(() =>
  z
    .object({
      owner: z
        .string()
        .max(255, "expected at most 255 characters")
        .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, "expected a Forgejo owner name"),
      packagePattern: patternWith(["component"], fileNameSchema, "a package name of portable characters"),
      filePattern: patternWith(["component", "sha"], fileNameSchema, "one file name (no '/', '.' or '..')"),
      retention: z.number().int().min(1),
    })
    .strict(),
);

/** Checks a {@link PipelineSection}. */
const pipelineSchema = lazySchema(() =>
  z
    .object({
      rollback: workflowFileSchema,
      cleanup: workflowFileSchema,
      ref: gitRefSchema,
    })
    .strict(),
);

/**
 * The zod schema of a {@link Topology}: where everything of one environment lives, keyed
 * by role. `env`, `colors`, `traffic` and `containers` are always there; every other
 * section only where the stack has it.
 */
export const topologySchema: z.ZodType<Topology> = lazySchema(() =>
  z
    .object({
      env: envNameSchema,
      colors: z
        .tuple([simpleNameSchema, simpleNameSchema])
        .refine(([a, b]) => a !== b, "the two colors must differ"),
      traffic: trafficSchema,
      containers: containersSchema,
      publicHealthUrl: httpUrlSchema.optional(),
      database: databaseSchema.optional(),
      snapshots: snapshotsSchema.optional(),
      registry: registrySchema.optional(),
      pipeline: pipelineSchema.optional(),
    })
    .strict()
    .refine(
      (t) =>
        t.containers.components.every((component) =>
          t.colors.every(
            (color) =>
              instanceNameSchema.safeParse(fillPattern(t.containers.pattern, { component, color })).success,
          ),
        ),
      {
        message:
          "containers.pattern gives container names Incus rejects (1-63 letters, digits or '-', starting with a letter)",
        path: ["containers", "pattern"],
      },
    ),
);

/** The traffic section: the state file and history every traffic switch keeps. */
export interface TrafficSection {
  /** The file naming the live color (the runbook's `/var/lib/veza/active-color`). */
  readonly stateFile: string;
  /** The history, newest first. */
  readonly historyFile: string;
  /** History lines kept (newest first). */
  readonly historyLimit: number;
  /**
   * A fleet: the names of the edge proxies that all route to the live color (two or more),
   * each its own traffic switch (`drivers.edges[name]`, any driver); flipped all-or-nothing
   * by `fleetFlip`. Without it the one `drivers.traffic` is the proxy.
   */
  readonly edges?: readonly string[] | undefined;
}

/** How app containers hold a release: `containers.app` (redeploy stages artifacts there). */
export interface AppSection {
  /** The file holding the release SHA a container runs, e.g. `/opt/veza/RELEASE`. */
  readonly releaseFile: string;
  /** Where artifacts are staged inside a container, e.g. `/opt/veza/releases`. */
  readonly stageDir: string;
  /**
   * Each app container's own health URL, with `{container}`, `{component}`, `{color}`,
   * e.g. `http://{container}.incus:8080/api/v1/health`: redeploy checks every container
   * there before flipping. Without it, RUNNING and the release file are checked.
   */
  readonly localHealthUrl?: string | undefined;
}

/** The containers section: one container per component per color. */
export interface ContainersSection {
  /** The application components, e.g. `["backend", "stream", "web"]`. */
  readonly components: readonly string[];
  /** Container name pattern with `{component}` and `{color}`, e.g. `veza-staging-{component}-{color}`. */
  readonly pattern: string;
  /** The health path each container answers locally, e.g. `/api/v1/health`. */
  readonly healthPath: string;
  /** How app containers hold a release (needed by redeploy). */
  readonly app?: AppSection | undefined;
}

/** The database section: where the application database lives. */
export interface DatabaseSection {
  /** The container the database runs in. */
  readonly container: string;
  /** The database name. */
  readonly name: string;
  /** The role recipes connect as. */
  readonly user: string;
}

/** The snapshots section: where container datasets and their pre-deploy snapshots live. */
export interface SnapshotsSection {
  /** Dataset pattern with `{container}`, e.g. `rpool/incus/containers/{container}`. */
  readonly datasetPattern: string;
  /** The pre-deploy snapshot name prefix; the release SHA follows it. */
  readonly prefix: string;
}

/** The registry section: how components and SHAs map to artifact names. */
export interface RegistrySection {
  /** The package owner, e.g. `talas`. */
  readonly owner: string;
  /** Package name pattern with `{component}`, e.g. `veza-{component}`. */
  readonly packagePattern: string;
  /** File name pattern with `{component}` and `{sha}`, e.g. `veza-{component}-{sha}.tar.zst`. */
  readonly filePattern: string;
  /** Versions kept per package by the cleanup rule (the runbook says 30). */
  readonly retention: number;
}

/** The pipeline section: the workflows the pipeline recipes dispatch. */
export interface PipelineSection {
  /** The rollback workflow, e.g. `rollback.yml`. */
  readonly rollback: string;
  /** The cleanup workflow, e.g. `cleanup-failed.yml`. */
  readonly cleanup: string;
  /** The git ref workflows run at, e.g. `main`. */
  readonly ref: string;
}

/**
 * Where everything of one environment lives, keyed by role. `env`, `colors`, `traffic` and
 * `containers` are always there; every other section only where the stack has it.
 */
export interface Topology {
  /** The environment name, e.g. `staging`. */
  readonly env: string;
  /** The two colors traffic flips between. */
  readonly colors: readonly [string, string];
  readonly traffic: TrafficSection;
  readonly containers: ContainersSection;
  /** The public health URL checked after a switch; no public probe without it. */
  readonly publicHealthUrl?: string | undefined;
  readonly database?: DatabaseSection | undefined;
  readonly snapshots?: SnapshotsSection | undefined;
  readonly registry?: RegistrySection | undefined;
  readonly pipeline?: PipelineSection | undefined;
}

/** Validates a topology; the error names the offending field. */
export function parseTopology(value: unknown): Result<Topology, DriverError> {
  return parseInput(topologySchema, value, {
    driver: "core",
    op: "topology",
    hint: "fix the named topology field",
  });
}

/** The container of one component in one color, e.g. `veza-staging-backend-blue`. */
export function containerName(topology: Topology, component: string, color: string): string {
  return fillPattern(topology.containers.pattern, { component, color });
}

/** All containers of one color, in component order. */
export function colorContainers(topology: Topology, color: string): string[] {
  return topology.containers.components.map((component) => containerName(topology, component, color));
}

/** The registry package of a component, e.g. `veza-backend`. */
export function packageName(registry: RegistrySection, component: string): string {
  return fillPattern(registry.packagePattern, { component });
}

/** The artifact file of a component at a SHA, e.g. `veza-backend-<sha>.tar.zst`. */
export function artifactFileName(registry: RegistrySection, component: string, sha: string): string {
  return fillPattern(registry.filePattern, { component, sha });
}

/** The dataset of a container, e.g. `rpool/incus/containers/veza-staging-postgres`. */
export function datasetName(snapshots: SnapshotsSection, container: string): string {
  return fillPattern(snapshots.datasetPattern, { container });
}

/** One app container's own health URL from `containers.app.localHealthUrl`, or `null` when none is configured. */
export function localHealthUrl(topology: Topology, component: string, color: string): string | null {
  const pattern = topology.containers.app?.localHealthUrl;
  return pattern
    ? fillPattern(pattern, { component, color, container: containerName(topology, component, color) })
    : null;
}

/** The other color of the pair. */
export function otherColor(topology: Topology, color: string): string {
  return topology.colors[0] === color ? topology.colors[1] : topology.colors[0];
}
