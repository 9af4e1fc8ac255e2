import type { Result } from "neverthrow";
import { z } from "zod";
import type { DriverError } from "../errors/driver-error";
import { parseInput } from "../validate/parse-input";
import { absolutePathSchema, envNameSchema, instanceNameSchema, simpleNameSchema } from "../validate/schemas";

const workflowFileSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*\.ya?ml$/, "expected a workflow file name like rollback.yml");

const fill = (pattern: string, values: Record<string, string>) =>
  pattern.replace(/\{(\w+)\}/g, (_, key: string) => values[key] ?? `{${key}}`);

const patternWith = (...names: string[]) =>
  z
    .string()
    .min(1)
    .refine(
      (p) => [...p.matchAll(/\{(\w+)\}/g)].every((m) => names.includes(m[1] ?? "")),
      `only the placeholders ${names.map((n) => `{${n}}`).join(", ")} are allowed`,
    );

/** The zod schema of a {@link Topology}: where everything of one environment lives. */
export const topologySchema = z
  .object({
    /** The environment name, e.g. `staging`. */
    env: envNameSchema,
    /** The two colors traffic flips between. */
    colors: z
      .tuple([simpleNameSchema, simpleNameSchema])
      .refine(([a, b]) => a !== b, "the two colors must differ"),
    /** The application components, one container per component per color. */
    components: z.array(simpleNameSchema).min(1),
    /** Container name pattern with `{component}` and `{color}`. */
    containerPattern: patternWith("component", "color"),
    haproxy: z.object({
      /** The container HAProxy runs in. */
      container: instanceNameSchema,
      configPath: absolutePathSchema,
      stateFile: absolutePathSchema,
      historyFile: absolutePathSchema,
      /** History lines kept (newest first). */
      historyLimit: z.number().int().min(2).max(10_000),
    }),
    postgres: z.object({
      container: instanceNameSchema,
      database: simpleNameSchema,
      user: simpleNameSchema,
    }),
    registry: z.object({
      owner: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, "expected a Forgejo owner name"),
      /** Package name pattern with `{component}`. */
      packagePattern: patternWith("component"),
      /** File name pattern with `{component}` and `{sha}`. */
      filePattern: patternWith("component", "sha"),
      /** Versions kept per package by the cleanup rule (the runbook says 30). */
      retention: z.number().int().min(1),
    }),
    zfs: z.object({
      /** Dataset pattern with `{container}`. */
      datasetPattern: patternWith("container"),
      snapshotPrefix: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]*$/, "expected a snapshot name prefix"),
    }),
    /** The public health URL checked after a switch (`curl …/api/v1/health`). */
    publicHealthUrl: z.url({ protocol: /^https?$/, error: "expected an http(s) URL" }),
    /** The health path each container answers locally. */
    healthPath: absolutePathSchema,
    workflows: z.object({
      rollback: workflowFileSchema,
      cleanup: workflowFileSchema,
      ref: z
        .string()
        .regex(/^[A-Za-z0-9][A-Za-z0-9._/-]*$/, "expected a git ref like main or refs/heads/main"),
    }),
    /**
     * Optional: how app containers hold a release (Path 2 stages artifacts there).
     * Defaults: see {@link appLayout}.
     */
    app: z
      .object({
        /** The file holding the release SHA a container runs (default `/opt/veza/RELEASE`). */
        releaseFile: absolutePathSchema.optional(),
        /** Where artifacts are staged inside a container (default `/opt/veza/releases`). */
        stageDir: absolutePathSchema.optional(),
        /**
         * Each app container's own health URL, with `{container}`, `{component}`, `{color}`,
         * e.g. `http://{container}.incus:8080/api/v1/health`: Path 2 checks every container
         * there before flipping. Default: none (RUNNING and the release file are checked).
         */
        localHealthUrl: patternWith("container", "component", "color").optional(),
      })
      .optional(),
  })
  .refine((t) => t.containerPattern.includes("{component}") && t.containerPattern.includes("{color}"), {
    message: "containerPattern must contain {component} and {color}",
    path: ["containerPattern"],
  })
  .refine(
    (t) =>
      t.components.every((component) =>
        t.colors.every(
          (color) => instanceNameSchema.safeParse(fill(t.containerPattern, { component, color })).success,
        ),
      ),
    {
      message:
        "containerPattern gives container names Incus rejects (1-63 letters, digits or '-', starting with a letter)",
      path: ["containerPattern"],
    },
  );

/** Where everything of one environment lives: container names, files, registry, datasets. */
export type Topology = z.output<typeof topologySchema>;

/** Validates a topology; the error names the offending field. */
export function parseTopology(value: unknown): Result<Topology, DriverError> {
  return parseInput(topologySchema, value, {
    driver: "core",
    op: "topology",
    hint: "fix the named topology field",
  });
}

/**
 * The runbook's names for an environment. `prod` has no env prefix (`veza-haproxy`);
 * any other env is prefixed (`veza-staging-haproxy`, `veza-staging-backend-blue`).
 */
export function vezaTopology(
  env: "staging" | "prod" | (string & {}),
  overrides: Partial<Topology> = {},
): Topology {
  const prefix = env === "prod" ? "veza" : `veza-${env}`;
  const host = env === "prod" ? "veza.fr" : `${env}.veza.fr`;
  return {
    env,
    colors: ["blue", "green"],
    components: ["backend", "stream", "web"],
    containerPattern: `${prefix}-{component}-{color}`,
    haproxy: {
      container: `${prefix}-haproxy`,
      configPath: "/etc/haproxy/haproxy.cfg",
      stateFile: "/var/lib/veza/active-color",
      historyFile: "/var/lib/veza/active-color.history",
      historyLimit: 50,
    },
    postgres: { container: `${prefix}-postgres`, database: "veza", user: "veza" },
    registry: {
      owner: "talas",
      packagePattern: "veza-{component}",
      filePattern: "veza-{component}-{sha}.tar.zst",
      retention: 30,
    },
    zfs: { datasetPattern: "rpool/incus/containers/{container}", snapshotPrefix: "pre-deploy-" },
    publicHealthUrl: `https://${host}/api/v1/health`,
    healthPath: "/api/v1/health",
    workflows: { rollback: "rollback.yml", cleanup: "cleanup-failed.yml", ref: "main" },
    ...overrides,
  };
}

/** The container of one component in one color, e.g. `veza-staging-backend-blue`. */
export function containerName(topology: Topology, component: string, color: string): string {
  return fill(topology.containerPattern, { component, color });
}

/** All containers of one color, in component order. */
export function colorContainers(topology: Topology, color: string): string[] {
  return topology.components.map((component) => containerName(topology, component, color));
}

/** The registry package of a component, e.g. `veza-backend`. */
export function packageName(topology: Topology, component: string): string {
  return fill(topology.registry.packagePattern, { component });
}

/** The artifact file of a component at a SHA, e.g. `veza-backend-<sha>.tar.zst`. */
export function artifactFileName(topology: Topology, component: string, sha: string): string {
  return fill(topology.registry.filePattern, { component, sha });
}

/** The ZFS dataset of a container, e.g. `rpool/incus/containers/veza-staging-postgres`. */
export function datasetName(topology: Topology, container: string): string {
  return fill(topology.zfs.datasetPattern, { container });
}

/** Where app containers keep their release, with defaults filled in. */
export function appLayout(topology: Topology): {
  releaseFile: string;
  stageDir: string;
} {
  return {
    releaseFile: topology.app?.releaseFile ?? "/opt/veza/RELEASE",
    stageDir: topology.app?.stageDir ?? "/opt/veza/releases",
  };
}

/** One app container's own health URL from `app.localHealthUrl`, or `null` when none is configured. */
export function localHealthUrl(topology: Topology, component: string, color: string): string | null {
  const pattern = topology.app?.localHealthUrl;
  return pattern
    ? fill(pattern, { component, color, container: containerName(topology, component, color) })
    : null;
}

/** The other color of the pair. */
export function otherColor(topology: Topology, color: string): string {
  return topology.colors[0] === color ? topology.colors[1] : topology.colors[0];
}
