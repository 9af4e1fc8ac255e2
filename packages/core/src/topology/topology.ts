import type { Result } from "neverthrow";
import { z } from "zod";
import type { DriverError } from "../errors/driver-error";
import { parseInput } from "../validate/parse-input";
import { absolutePathSchema, envNameSchema, instanceNameSchema, simpleNameSchema } from "../validate/schemas";

const workflowFileSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*\.ya?ml$/, "expected a workflow file name like rollback.yml");

/** Fills `{name}` placeholders of a topology pattern. */
export const fillPattern = (pattern: string, values: Record<string, string>): string =>
  pattern.replace(/\{(\w+)\}/g, (_, key: string) => values[key] ?? `{${key}}`);

const patternWith = (...names: string[]) =>
  z
    .string()
    .min(1)
    .refine(
      (p) => [...p.matchAll(/\{(\w+)\}/g)].every((m) => names.includes(m[1] ?? "")),
      `only the placeholders ${names.map((n) => `{${n}}`).join(", ")} are allowed`,
    );

/** The traffic section: the state file and history every traffic switch keeps. */
const trafficSchema = z
  .object({
    /** The file naming the live color (the runbook's `/var/lib/veza/active-color`). */
    stateFile: absolutePathSchema,
    /** The history, newest first: `<iso> <color> <sha> <actor>` per line. */
    historyFile: absolutePathSchema,
    /** History lines kept (newest first). */
    historyLimit: z.number().int().min(2).max(10_000),
  })
  .strict();

/** How app containers hold a release (redeploy stages artifacts there). */
const appSchema = z
  .object({
    /** The file holding the release SHA a container runs, e.g. `/opt/veza/RELEASE`. */
    releaseFile: absolutePathSchema,
    /** Where artifacts are staged inside a container, e.g. `/opt/veza/releases`. */
    stageDir: absolutePathSchema,
    /**
     * Each app container's own health URL, with `{container}`, `{component}`, `{color}`,
     * e.g. `http://{container}.incus:8080/api/v1/health`: redeploy checks every container
     * there before flipping. Default: none (RUNNING and the release file are checked).
     */
    localHealthUrl: patternWith("container", "component", "color").optional(),
  })
  .strict();

/** The containers section: one container per component per color. */
const containersSchema = z
  .object({
    /** The application components, one container per component per color. */
    components: z.array(simpleNameSchema).min(1),
    /** Container name pattern with `{component}` and `{color}`. */
    pattern: patternWith("component", "color").refine(
      (p) => p.includes("{component}") && p.includes("{color}"),
      "the pattern must contain {component} and {color}",
    ),
    /** The health path each container answers locally. */
    healthPath: absolutePathSchema,
    /** Optional: how app containers hold a release (needed by redeploy). */
    app: appSchema.optional(),
  })
  .strict();

/** The database section: where the application database lives. */
const databaseSchema = z
  .object({
    /** The container the database runs in. */
    container: instanceNameSchema,
    /** The database name. */
    name: simpleNameSchema,
    /** The role recipes connect as. */
    user: simpleNameSchema,
  })
  .strict();

/** The snapshots section: where container datasets and their pre-deploy snapshots live. */
const snapshotsSchema = z
  .object({
    /** Dataset pattern with `{container}`. */
    datasetPattern: patternWith("container"),
    /** The pre-deploy snapshot name prefix; the release SHA follows it. */
    prefix: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]*$/, "expected a snapshot name prefix"),
  })
  .strict();

/** The registry section: how components and SHAs map to artifact names. */
const registrySchema = z
  .object({
    owner: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, "expected a Forgejo owner name"),
    /** Package name pattern with `{component}`. */
    packagePattern: patternWith("component"),
    /** File name pattern with `{component}` and `{sha}`. */
    filePattern: patternWith("component", "sha"),
    /** Versions kept per package by the cleanup rule (the runbook says 30). */
    retention: z.number().int().min(1),
  })
  .strict();

/** The pipeline section: the workflows the pipeline recipes dispatch. */
const pipelineSchema = z
  .object({
    /** The rollback workflow, e.g. `rollback.yml`. */
    rollback: workflowFileSchema,
    /** The cleanup workflow, e.g. `cleanup-failed.yml`. */
    cleanup: workflowFileSchema,
    /** The git ref workflows run at. */
    ref: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._/-]*$/, "expected a git ref like main or refs/heads/main"),
  })
  .strict();

/**
 * The zod schema of a {@link Topology}: where everything of one environment lives, keyed
 * by role. `env`, `colors`, `traffic` and `containers` are always there; every other
 * section only where the stack has it.
 */
export const topologySchema = z
  .object({
    /** The environment name, e.g. `staging`. */
    env: envNameSchema,
    /** The two colors traffic flips between. */
    colors: z
      .tuple([simpleNameSchema, simpleNameSchema])
      .refine(([a, b]) => a !== b, "the two colors must differ"),
    traffic: trafficSchema,
    containers: containersSchema,
    /** The public health URL checked after a switch (`curl …/api/v1/health`); no public probe without it. */
    publicHealthUrl: z.url({ protocol: /^https?$/, error: "expected an http(s) URL" }).optional(),
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
  );

/** Where everything of one environment lives, keyed by role (traffic, containers, database, …). */
export type Topology = z.output<typeof topologySchema>;

/** The traffic section of a {@link Topology}. */
export type TrafficSection = Topology["traffic"];
/** The containers section of a {@link Topology}. */
export type ContainersSection = Topology["containers"];
/** How app containers hold a release: `containers.app`. */
export type AppSection = NonNullable<ContainersSection["app"]>;
/** The database section of a {@link Topology}. */
export type DatabaseSection = NonNullable<Topology["database"]>;
/** The snapshots section of a {@link Topology}. */
export type SnapshotsSection = NonNullable<Topology["snapshots"]>;
/** The registry section of a {@link Topology}. */
export type RegistrySection = NonNullable<Topology["registry"]>;
/** The pipeline section of a {@link Topology}. */
export type PipelineSection = NonNullable<Topology["pipeline"]>;

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
