import { type DriverError, driverError } from "@backflip/core";
import { classifyIncusError, incusSocketPath } from "@backflip/driver-incus";
import { errAsync, okAsync, ResultAsync } from "neverthrow";
import { Agent, request } from "undici";

/** An Incus device: `type` plus its string keys (`source`, `path`, `listen`, `connect`, …). */
export type IncusDevice = Readonly<Record<string, string>>;

/** What the lab needs of an instance: its name, its own devices and, on a cluster, its member. */
export interface InstanceSpec {
  readonly name: string;
  readonly devices: Readonly<Record<string, IncusDevice>>;
  /** The cluster member to create it on (`?target=`); absent on a single Incus. */
  readonly target?: string;
}

/** What {@link IncusInstances.ensure} did. */
export type EnsureOutcome = "created" | "updated" | "unchanged";

const DRIVER = "lab";
const HINT = "bring Incus up with `scripts/backends up incus` (it also imports the busybox image)";

interface Envelope {
  readonly type?: string;
  readonly error?: string;
  readonly error_code?: number;
  readonly operation?: string;
  readonly metadata?: unknown;
}

interface OperationMeta {
  readonly status_code?: number;
  readonly err?: string;
}

/**
 * The one thing the lab needs that Backflip's `ContainerHost` port does not do on
 * purpose: **creating** instances (`incus init busybox NAME` with devices) and keeping
 * their devices as specified. A small lab-only client over the Incus REST API (undici on
 * the unix socket); everything else the lab does goes through `@backflip/driver-incus`.
 */
export class IncusInstances {
  readonly #agent: Agent;

  /** A client on the local Incus socket (`$INCUS_SOCKET`, … like `createIncusHost`). */
  constructor(socketPath: string = incusSocketPath()) {
    this.#agent = new Agent({ connect: { socketPath } });
  }

  /**
   * Creates the instance from `image` with `spec.devices` when it does not exist (not
   * started; on `spec.target` when given), or replaces its devices when they differ.
   * Idempotent. An existing instance on another member than `spec.target` is `conflict`
   * (the lab does not move instances: `lab down` then `lab up` places them again).
   */
  ensure(spec: InstanceSpec, image: string): ResultAsync<EnsureOutcome, DriverError> {
    const path = `/1.0/instances/${encodeURIComponent(spec.name)}`;
    return this.#send("GET", path).andThen((found) => {
      if (found === null) {
        const target = spec.target === undefined ? "" : `?target=${encodeURIComponent(spec.target)}`;
        return this.#send("POST", `/1.0/instances${target}`, {
          name: spec.name,
          type: "container",
          source: { type: "image", alias: image },
          profiles: ["default"],
          devices: spec.devices,
        }).andThen((env) => this.#wait(env, `create ${spec.name}`).map((): EnsureOutcome => "created"));
      }
      const location = (found.metadata as { location?: string }).location;
      if (spec.target !== undefined && location !== spec.target)
        return errAsync(
          driverError({
            driver: DRIVER,
            op: "incus",
            reason: "conflict",
            message: `${spec.name} is on cluster member ${location ?? "?"}, not ${spec.target}`,
            hint: "remove the lab (`pnpm lab down`) and bring it up again to place it",
          }),
        );
      const current = ((found.metadata as { devices?: Record<string, IncusDevice> }).devices ?? {}) as Record<
        string,
        IncusDevice
      >;
      if (sameDevices(current, spec.devices)) return okAsync<EnsureOutcome, DriverError>("unchanged");
      const instance = found.metadata as Record<string, unknown>;
      return this.#send("PUT", path, {
        architecture: instance.architecture,
        config: instance.config,
        devices: spec.devices,
        ephemeral: instance.ephemeral,
        profiles: instance.profiles,
        stateful: instance.stateful,
        description: instance.description,
      }).andThen((env) => this.#wait(env, `update ${spec.name}`).map((): EnsureOutcome => "updated"));
    });
  }

  /** The instance's config keys (`volatile.idmap.next`, …), `null` when it does not exist. */
  config(name: string): ResultAsync<Record<string, string> | null, DriverError> {
    return this.#send("GET", `/1.0/instances/${encodeURIComponent(name)}`).map((found) =>
      found === null ? null : ((found.metadata as { config?: Record<string, string> }).config ?? {}),
    );
  }

  /** Whether an image alias exists (the lab's `busybox`). */
  hasImageAlias(alias: string): ResultAsync<boolean, DriverError> {
    return this.#send("GET", `/1.0/images/aliases/${encodeURIComponent(alias)}`).map((env) => env !== null);
  }

  /** Closes the connection pool. */
  close(): ResultAsync<void, DriverError> {
    return ResultAsync.fromPromise(this.#agent.close(), (cause) =>
      failure("close", "closing the Incus client", cause),
    );
  }

  /** One request; `null` for a 404, an error for any other failure. */
  #send(method: string, path: string, json?: unknown): ResultAsync<Envelope | null, DriverError> {
    const label = `${method} ${path}`;
    return ResultAsync.fromPromise(
      request(`http://unix.socket${path}`, {
        method: method as "GET",
        dispatcher: this.#agent,
        ...(json === undefined
          ? {}
          : { headers: { "content-type": "application/json" }, body: JSON.stringify(json) }),
      }).then(async (res) => ({ status: res.statusCode, text: await res.body.text() })),
      (cause) => failure("incus", `${label}: Incus is not reachable`, cause, "unavailable"),
    ).andThen(({ status, text }) => {
      let env: Envelope = {};
      try {
        env = JSON.parse(text) as Envelope;
      } catch {
        env = { error: text.slice(0, 200) };
      }
      if (status === 404) return okAsync(null);
      if (status >= 400 || env.type === "error") {
        const code = env.error_code || status;
        const message = env.error ?? `HTTP ${status}`;
        return errAsync(
          driverError({
            driver: DRIVER,
            op: "incus",
            reason: classifyIncusError(code, message),
            message: `${label}: ${message}`,
            hint: HINT,
          }),
        );
      }
      return okAsync(env);
    });
  }

  /** Waits for the operation a request started and checks its own status. */
  #wait(env: Envelope | null, what: string): ResultAsync<void, DriverError> {
    const op = env?.operation;
    if (!op) return okAsync(undefined);
    // A cluster member names it with its query (`/1.0/operations/<id>?project=default`).
    const { pathname } = new URL(op, "http://unix.socket");
    return this.#send("GET", `${pathname}/wait?timeout=120`).andThen((done) => {
      const meta = (done?.metadata ?? {}) as OperationMeta;
      return meta.status_code === 200
        ? okAsync(undefined)
        : errAsync(
            driverError({
              driver: DRIVER,
              op: "incus",
              reason: "failed",
              message: `${what} failed: ${meta.err || `status ${meta.status_code ?? "unknown"}`}`,
              hint: HINT,
            }),
          );
    });
  }
}

function sameDevices(a: Record<string, IncusDevice>, b: Readonly<Record<string, IncusDevice>>): boolean {
  const keys = (o: Readonly<Record<string, IncusDevice>>) => Object.keys(o).sort().join(",");
  if (keys(a) !== keys(b)) return false;
  return Object.entries(b).every(
    ([name, device]) => JSON.stringify(sorted(a[name] ?? {})) === JSON.stringify(sorted(device)),
  );
}

const sorted = (o: IncusDevice) =>
  Object.fromEntries(Object.entries(o).sort(([x], [y]) => x.localeCompare(y)));

function failure(
  op: string,
  message: string,
  cause: unknown,
  reason: "failed" | "unavailable" = "failed",
): DriverError {
  return driverError({
    driver: DRIVER,
    op,
    reason,
    message: `${message}: ${cause instanceof Error ? cause.message : String(cause)}`,
    hint: HINT,
    cause,
  });
}
