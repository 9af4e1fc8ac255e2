import type { FullTopology } from "../topology/topology-with";

/** The container names of one Veza environment: `prod` has no env prefix, any other env does. */
const prefixOf = (env: string) => (env === "prod" ? "veza" : `veza-${env}`);

/**
 * The Veza runbook's topology for an environment. `prod` has no env prefix
 * (`veza-backend-blue`); any other env is prefixed (`veza-staging-backend-blue`).
 * `overrides` replace whole sections.
 */
export function vezaTopology(
  env: "staging" | "prod" | (string & {}),
  overrides: Partial<FullTopology> = {},
): FullTopology {
  const prefix = prefixOf(env);
  const host = env === "prod" ? "veza.fr" : `${env}.veza.fr`;
  return {
    env,
    colors: ["blue", "green"],
    traffic: {
      stateFile: "/var/lib/veza/active-color",
      historyFile: "/var/lib/veza/active-color.history",
      historyLimit: 50,
    },
    containers: {
      components: ["backend", "stream", "web"],
      pattern: `${prefix}-{component}-{color}`,
      healthPath: "/api/v1/health",
      app: { releaseFile: "/opt/veza/RELEASE", stageDir: "/opt/veza/releases" },
    },
    publicHealthUrl: `https://${host}/api/v1/health`,
    database: { container: `${prefix}-postgres`, name: "veza", user: "veza" },
    snapshots: { datasetPattern: "rpool/incus/containers/{container}", prefix: "pre-deploy-" },
    registry: {
      owner: "talas",
      packagePattern: "veza-{component}",
      filePattern: "veza-{component}-{sha}.tar.zst",
      retention: 30,
    },
    pipeline: { rollback: "rollback.yml", cleanup: "cleanup-failed.yml", ref: "main" },
    ...overrides,
  };
}

/** Where Veza's HAProxy lives: its container and config file (driver options, not topology). */
export interface VezaHaproxy {
  /** The container HAProxy runs in, e.g. `veza-staging-haproxy`. */
  readonly container: string;
  /** The live config, `/etc/haproxy/haproxy.cfg`. */
  readonly configPath: string;
}

/** The runbook's HAProxy of an environment: `veza-haproxy` in prod, `veza-<env>-haproxy` elsewhere. */
export function vezaHaproxy(env: string): VezaHaproxy {
  return { container: `${prefixOf(env)}-haproxy`, configPath: "/etc/haproxy/haproxy.cfg" };
}
