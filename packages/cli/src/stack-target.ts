import { type DriverError, driverError, HttpHealthProbe, parseTopology } from "@backflip/core";
import { vezaTopology } from "@backflip/core/recipes";
import { createForgejoPipeline, createForgejoRegistry } from "@backflip/driver-forgejo";
import { createHaproxySwitch, type HaproxySwitchOptions } from "@backflip/driver-haproxy";
import { createIncusHost } from "@backflip/driver-incus";
import { err, errAsync, ok, okAsync, type Result, type ResultAsync } from "neverthrow";
import type { StackConfig } from "./config";
import type { Target, TargetOptions } from "./target";

/** A driver's refusal of its config section, naming the file and the section. */
function inConfig(file: string, key: string, error: DriverError): DriverError {
  return driverError({
    driver: "cli",
    op: "config",
    reason: error.reason,
    message: `${file}: target.${key}: ${error.message}`,
    hint: `fix target.${key} in ${file}`,
    cause: error,
  });
}

/** The registry token from the variable `tokenEnv` names: the config holds the name, never the secret. */
function tokenFrom(file: string, tokenEnv: string): Result<string, DriverError> {
  const token = process.env[tokenEnv];
  if (token) return ok(token);
  return err(
    driverError({
      driver: "cli",
      op: "config",
      reason: "invalid_input",
      message: `${file}: target.forgejo.tokenEnv: the variable ${tokenEnv} is not set`,
      hint: `export ${tokenEnv}=<a Forgejo access token with package read/write>`,
    }),
  );
}

/**
 * The `stack` target: the team's real stack as its config describes it — Incus for the
 * containers, HAProxy inside its container (driver-haproxy over `incus exec`), HTTP health
 * probes, and Forgejo's package registry (and Actions, with `forgejo.repo`). The topology
 * is the Veza preset for the environment with the config's overrides. A driver's refusal
 * names the config file and the key.
 */
export function openStackTarget(
  file: string,
  stack: StackConfig,
  options: TargetOptions,
): ResultAsync<Target, DriverError> {
  const env = options.env ?? "staging";
  const topology = parseTopology(vezaTopology(env, stack.topology)).mapErr((e) =>
    inConfig(file, "topology", e),
  );
  if (topology.isErr()) return errAsync(topology.error);
  const t = topology.value;
  const host = createIncusHost(stack.incus).mapErr((e) => inConfig(file, "incus", e));
  if (host.isErr()) return errAsync(host.error);
  const { container, ...haproxy } = stack.haproxy;
  const built = createHaproxySwitch({
    ...(haproxy as Partial<HaproxySwitchOptions>),
    shell: host.value.shell(container),
    env: t.env,
    colors: t.colors,
    components: t.containers.components,
    healthPath: t.containers.healthPath,
    state: t.traffic,
  } as HaproxySwitchOptions)
    .mapErr((e) => inConfig(file, "haproxy", e))
    .andThen((traffic) => {
      const forgejo = stack.forgejo;
      if (!forgejo)
        return ok({ host: host.value, traffic, probe: new HttpHealthProbe({ name: "backflip" }) });
      return tokenFrom(file, forgejo.tokenEnv).andThen((token) => {
        const config = { ...forgejo, token, topology: t };
        return createForgejoRegistry(config)
          .andThen((registry) =>
            forgejo.repo
              ? createForgejoPipeline(config).map((pipeline) => ({ registry, pipeline }))
              : ok({ registry }),
          )
          .mapErr((e) => inConfig(file, "forgejo", e))
          .map((fj) => ({
            host: host.value,
            traffic,
            probe: new HttpHealthProbe({ name: "backflip" }),
            ...fj,
          }));
      });
    });
  if (built.isErr()) return host.value.close().andThen(() => errAsync(built.error));
  const drivers = built.value;
  return okAsync({
    kind: "stack",
    description: `the stack of ${file} (Incus, HAProxy in ${container}${stack.forgejo ? `, Forgejo at ${stack.forgejo.baseUrl}` : ""})`,
    topology: t,
    drivers,
    journal: options.coordination.journal,
    lock: options.coordination.lock,
    coordination: options.coordination,
    save: () => okAsync(undefined),
    close: async () => {
      await drivers.host.close();
    },
  });
}
