/**
 * An embedder's drivers bundle, assembled from the packages only: Incus for the
 * containers, HAProxy inside its container (over `incus exec`), HTTP health probes and
 * Forgejo's package registry. A service builds this once at start and hands it to the
 * recipes; see docs/embedding.md. The lab test (`stack-drivers-lab.test.ts`) builds it
 * from the lab's settings and plans against the real lab.
 */
import { type DriverError, type FullTopology, HttpHealthProbe } from "@backflip/core";
import type { Drivers } from "@backflip/core/recipes";
import { createForgejoRegistry, type ForgejoRegistry } from "@backflip/driver-forgejo";
import { createHaproxySwitch, type HaproxySwitch, type HaproxySwitchOptions } from "@backflip/driver-haproxy";
import { createIncusHost, type IncusHost, type IncusHostOptions } from "@backflip/driver-incus";
import { err, type Result } from "neverthrow";

/** What a service knows about its stack (typically read from its own config file). */
export interface StackSettings {
  /** The environment's topology (e.g. `vezaTopology("staging")`, or `parseTopology` of your own). */
  readonly topology: FullTopology;
  /** How to reach Incus (default: the local socket). */
  readonly incus?: IncusHostOptions;
  /** The HAProxy container and the driver options that describe its config. */
  readonly haproxy: { readonly container: string } & Pick<
    HaproxySwitchOptions,
    "configPath" | "servers" | "routes" | "binds" | "statsSocket" | "reload" | "httpClientCaFile"
  >;
  /** Forgejo's address and an access token (read it from a secret store; never log it). */
  readonly forgejo: { readonly baseUrl: string; readonly token: string };
}

/** The assembled bundle; close `host` when the service stops. */
export interface StackDrivers extends Drivers {
  readonly host: IncusHost;
  readonly traffic: HaproxySwitch;
  readonly probe: HttpHealthProbe;
  readonly registry: ForgejoRegistry;
}

/** Builds every driver from `settings`; the first invalid option is an `invalid_input` naming it. */
export function stackDrivers(settings: StackSettings): Result<StackDrivers, DriverError> {
  const { topology, haproxy, forgejo } = settings;
  const { container, ...proxy } = haproxy;
  return createIncusHost(settings.incus).andThen((host) =>
    createHaproxySwitch({
      ...proxy,
      shell: host.shell(container),
      env: topology.env,
      colors: topology.colors,
      components: topology.containers.components,
      healthPath: topology.containers.healthPath,
      state: topology.traffic,
    })
      .andThen((traffic) =>
        createForgejoRegistry({ baseUrl: forgejo.baseUrl, token: forgejo.token, topology }).map(
          (registry): StackDrivers => ({
            host,
            traffic,
            registry,
            probe: new HttpHealthProbe({ name: "my-service" }),
          }),
        ),
      )
      .orElse((error) => {
        void host.close();
        return err(error);
      }),
  );
}
