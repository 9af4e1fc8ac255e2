import type { Topology } from "@backflip/core";

/** How components and SHAs map to registry names: the topology's `registry` block. */
export interface ArtifactNaming {
  /** Package name pattern with `{component}`, e.g. `veza-{component}`. */
  readonly packagePattern: string;
  /** File name pattern with `{component}` and `{sha}`, e.g. `veza-{component}-{sha}.tar.zst`. */
  readonly filePattern: string;
  /** Versions the owner's keep-N cleanup rule keeps per package (the runbook says 30). */
  readonly retention: number;
}

/** The naming a {@link Topology} declares (its `registry` section), if it has one. */
export function namingFromTopology(topology: Topology): ArtifactNaming | undefined {
  if (!topology.registry) return undefined;
  const { packagePattern, filePattern, retention } = topology.registry;
  return { packagePattern, filePattern, retention };
}

const fill = (pattern: string, values: Record<string, string>) =>
  pattern.replace(/\{(\w+)\}/g, (_, key: string) => values[key] ?? `{${key}}`);

/** The package name of a component, as core's `packageName` fills it, e.g. `veza-backend`. */
export function packageFor(naming: ArtifactNaming, component: string): string {
  return fill(naming.packagePattern, { component });
}

/** The artifact file name, as core's `artifactFileName` fills it, e.g. `veza-backend-<sha>.tar.zst`. */
export function fileFor(naming: ArtifactNaming, component: string, sha: string): string {
  return fill(naming.filePattern, { component, sha });
}
