import { type DriverError, HttpHealthProbe, parseTopology, type Topology } from "@backflip/core";
import { vezaTopology } from "@backflip/core/recipes";
import { createForgejoPipeline, createForgejoRegistry } from "@backflip/driver-forgejo";
import { createHaproxySwitch, type HaproxySwitchOptions } from "@backflip/driver-haproxy";
import { createIncusHost, type IncusHost } from "@backflip/driver-incus";
import { errAsync, ok, okAsync, ResultAsync } from "neverthrow";
import type { StackConfig } from "./config";
import { fromEnv, inConfig } from "./stack-config-errors";
import type { StackDataDrivers } from "./stack-data-drivers";
import type { Target, TargetOptions } from "./target";

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
      return fromEnv(
        file,
        "forgejo.tokenEnv",
        forgejo.tokenEnv,
        "a Forgejo access token with package read/write",
      ).andThen((token) => {
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
  const base = built.value;
  const parts = [
    "Incus",
    `HAProxy in ${container}`,
    ...(stack.forgejo ? [`Forgejo at ${stack.forgejo.baseUrl}`] : []),
    ...(stack.database ? ["PostgreSQL"] : []),
    ...(stack.snapshots && stack.hostShell ? [`ZFS over SSH to ${stack.hostShell.host}`] : []),
  ];
  return withDataDrivers(file, stack, base.host, t)
    .orElse((e) => base.host.close().andThen(() => errAsync(e)))
    .map((data): Target => {
      const drivers = { ...base, ...data };
      return {
        kind: "stack",
        description: `the stack of ${file} (${parts.join(", ")})`,
        topology: t,
        drivers,
        journal: options.coordination.journal,
        lock: options.coordination.lock,
        coordination: options.coordination,
        save: () => okAsync(undefined),
        close: async () => {
          await drivers.host.close();
          if (data.hostShell) await data.hostShell.close();
        },
      };
    });
}

/**
 * Path 2's and Path 3's drivers when the config describes them (`database`, `snapshots`,
 * `hostShell`), loaded on demand: a stack without them never loads psql's, SSH's or
 * ZFS's drivers.
 */
function withDataDrivers(
  file: string,
  stack: StackConfig,
  host: IncusHost,
  topology: Topology,
): ResultAsync<StackDataDrivers, DriverError> {
  if (!stack.database && !stack.snapshots && !stack.hostShell) return okAsync({});
  return ResultAsync.fromSafePromise(import("./stack-data-drivers")).andThen((m) =>
    m.stackDataDrivers(file, stack, host, topology),
  );
}
