import type {
  Action,
  ContainerHost,
  ContainerOperation,
  DriverError,
  FileMeta,
  InstanceFilter,
  InstanceInfo,
  InstanceSnapshot,
  Shell,
} from "@backflip/core";
import {
  absolutePathSchema,
  instanceNameSchema,
  lazySchema,
  parseInput,
  snapshotNameSchema,
} from "@backflip/core/driver-kit";
import { incusCliActions, incusLocation } from "@backflip/driver-incus";
import { err, ok, type Result, type ResultAsync } from "neverthrow";
import * as z from "zod";
import type { FleetOp } from "../fleet-ops";
import { byName } from "../world/by-name";
import { removeContainer } from "../world/world-actions";
import { type ContainerState, cloneImage, replaceImage, utf8, type WorldState } from "../world/world-state";
import { MockShell } from "./mock-shell";
import { type FleetRuntime, opError, operation } from "./operation";

const DRIVER = "mock-host";

const filterSchema = lazySchema(() =>
  z
    .object({
      names: z.array(instanceNameSchema).optional(),
      pattern: z
        .string()
        .regex(/^[A-Za-z0-9*{},-]+$/, "expected letters, digits, '-', '*' and {a,b} alternatives")
        .refine((p) => /^(?:[^{}]|\{[^{}]*\})*$/.test(p), "unbalanced or nested { } in the pattern")
        .optional(),
    })
    .optional(),
);

const metaSchema = lazySchema(() =>
  z
    .object({
      mode: z.number().int().min(0).max(0o7777).optional(),
      uid: z.number().int().min(0).optional(),
      gid: z.number().int().min(0).optional(),
    })
    .optional(),
);

const timeoutSchema = lazySchema(() =>
  z.object({ timeoutS: z.number().int().positive().optional(), force: z.boolean().optional() }).optional(),
);

/** Expands `{a,b}` alternatives and `*` wildcards into one anchored regex. */
function patternRegex(pattern: string): RegExp {
  const escaped = pattern
    .replaceAll(/[.+?^$()|[\]\\]/g, "\\$&")
    .replaceAll("*", ".*")
    .replaceAll(/\{([^{}]*)\}/g, (_, alts: string) => `(?:${alts.split(",").join("|")})`);
  return new RegExp(`^${escaped}$`);
}

const info = (c: ContainerState): InstanceInfo => ({
  name: c.name,
  status: c.status,
  statusCode: c.status === "Running" ? 103 : 102,
  running: c.status === "Running",
});

/**
 * The simulated Incus: containers of the fleet's world with their status, files and
 * snapshots. Starting a running container or stopping a stopped one succeeds; deleting
 * a running one is a `conflict` unless `stopFirst`; shells need a running container.
 */
export class MockContainerHost implements ContainerHost {
  readonly name = DRIVER;

  constructor(
    readonly world: WorldState,
    readonly runtime: FleetRuntime,
  ) {}

  #name(op: FleetOp, name: string): Result<string, DriverError> {
    return parseInput(instanceNameSchema, name, { driver: DRIVER, op: op.slice(5) });
  }

  #get(op: FleetOp, name: string): Result<ContainerState, DriverError> {
    const c = this.world.containers.get(name);
    return c ? ok(c) : err(opError(op, "not_found", `Instance not found: ${name}`));
  }

  #one<T>(
    op: FleetOp,
    name: string,
    act: (c: ContainerState) => Result<T, DriverError>,
    check: () => Result<unknown, DriverError> = () => ok(undefined),
  ): ResultAsync<T, DriverError> {
    return operation(
      this.runtime,
      { op, target: (n: string) => n },
      () => this.#name(op, name).andThen((n) => check().map(() => n)),
      (n) => this.#get(op, n).andThen(act),
    );
  }

  list(filter?: InstanceFilter): ResultAsync<InstanceInfo[], DriverError> {
    return operation(
      this.runtime,
      { op: "host.list" },
      () => parseInput(filterSchema, filter, { driver: DRIVER, op: "list" }),
      (f) => {
        const regex = f?.pattern === undefined ? null : patternRegex(f.pattern);
        const rows = [...this.world.containers.values()]
          .filter(
            (c) =>
              (f?.names === undefined || f.names.includes(c.name)) && (regex === null || regex.test(c.name)),
          )
          .sort(byName)
          .map(info);
        return ok(rows);
      },
    );
  }

  state(name: string): ResultAsync<InstanceInfo, DriverError> {
    return this.#one("host.state", name, (c) => ok(info(c)));
  }

  start(name: string, options?: { timeoutS?: number }): ResultAsync<void, DriverError> {
    return this.#one(
      "host.start",
      name,
      (c) => {
        c.status = "Running";
        return ok(undefined);
      },
      () => parseInput(timeoutSchema, options, { driver: DRIVER, op: "start" }),
    );
  }

  stop(name: string, options?: { timeoutS?: number; force?: boolean }): ResultAsync<void, DriverError> {
    return this.#one(
      "host.stop",
      name,
      (c) => {
        c.status = "Stopped";
        return ok(undefined);
      },
      () => parseInput(timeoutSchema, options, { driver: DRIVER, op: "stop" }),
    );
  }

  delete(name: string, options?: { stopFirst?: boolean }): ResultAsync<void, DriverError> {
    return this.#one("host.delete", name, (c) => {
      if (c.status === "Running" && options?.stopFirst !== true) {
        return err(
          opError("host.delete", "conflict", `Instance is running: ${c.name}`, {
            hint: "stop it first (incus stop), or pass stopFirst",
          }),
        );
      }
      removeContainer(this.world, c.name);
      return ok(undefined);
    });
  }

  /** The `incus` command a call stands for: the simulated fleet is an Incus host. */
  describe(operation: ContainerOperation): readonly Action[] {
    return incusCliActions("default", operation);
  }

  shell(name: string): Shell {
    return new MockShell(`mock:${name}`, "shell", name, incusLocation("default", name), this.runtime, () => {
      const n = parseInput(instanceNameSchema, name, { driver: "mock-shell", op: "run" });
      if (n.isErr()) return err(n.error);
      const c = this.world.containers.get(name);
      if (!c) return err(opError("shell.run", "not_found", `Instance not found: ${name}`));
      if (c.status !== "Running") {
        return err(
          opError("shell.run", "conflict", `Instance is not running: ${name}`, {
            hint: `incus start ${name}`,
          }),
        );
      }
      return ok(c.image);
    });
  }

  pushFile(
    name: string,
    path: string,
    data: string | Uint8Array,
    meta?: FileMeta,
  ): ResultAsync<void, DriverError> {
    return operation(
      this.runtime,
      { op: "host.pushFile", target: (v: { name: string }) => v.name },
      () =>
        this.#name("host.pushFile", name).andThen((n) =>
          parseInput(absolutePathSchema, path, { driver: DRIVER, op: "pushFile" }).andThen((p) =>
            parseInput(metaSchema, meta, { driver: DRIVER, op: "pushFile" }).andThen((m) =>
              typeof data === "string" || data instanceof Uint8Array
                ? ok({ name: n, path: p, meta: m })
                : err(opError("host.pushFile", "invalid_input", "data: expected a string or bytes")),
            ),
          ),
        ),
      (v) =>
        this.#get("host.pushFile", v.name).andThen((c) => {
          c.image.files.set(v.path, typeof data === "string" ? utf8(data) : new Uint8Array(data));
          const existing = c.image.meta.get(v.path);
          c.image.meta.set(
            v.path,
            existing ?? { mode: v.meta?.mode ?? 0o644, uid: v.meta?.uid ?? 0, gid: v.meta?.gid ?? 0 },
          );
          return ok(undefined);
        }),
    );
  }

  pullFile(name: string, path: string): ResultAsync<Uint8Array, DriverError> {
    return operation(
      this.runtime,
      { op: "host.pullFile", target: (v: { name: string }) => v.name },
      () =>
        this.#name("host.pullFile", name).andThen((n) =>
          parseInput(absolutePathSchema, path, { driver: DRIVER, op: "pullFile" }).map((p) => ({
            name: n,
            path: p,
          })),
        ),
      (v) =>
        this.#get("host.pullFile", v.name).andThen((c) => {
          const bytes = c.image.files.get(v.path);
          return bytes
            ? ok(new Uint8Array(bytes))
            : err(opError("host.pullFile", "not_found", `${v.path}: no such file in ${v.name}`));
        }),
    );
  }

  #snapshotOp<T>(
    op: FleetOp,
    name: string,
    snapshot: string,
    act: (c: ContainerState, snap: string) => Result<T, DriverError>,
  ): ResultAsync<T, DriverError> {
    return operation(
      this.runtime,
      { op, target: (v: { name: string }) => v.name },
      () =>
        this.#name(op, name).andThen((n) =>
          parseInput(snapshotNameSchema, snapshot, { driver: DRIVER, op: op.slice(5) }).map((s) => ({
            name: n,
            snap: s,
          })),
        ),
      (v) => this.#get(op, v.name).andThen((c) => act(c, v.snap)),
    );
  }

  createSnapshot(name: string, snapshot: string): ResultAsync<InstanceSnapshot, DriverError> {
    return this.#snapshotOp("host.createSnapshot", name, snapshot, (c, snap) => {
      if (c.snapshots.some((s) => s.name === snap)) {
        return err(
          opError("host.createSnapshot", "conflict", `Snapshot "${snap}" of ${c.name} already exists`),
        );
      }
      const createdAt = this.runtime.clock.now();
      c.snapshots.push({ name: snap, createdAt, image: cloneImage(c.image) });
      return ok({ name: snap, createdAt: createdAt.toISOString() });
    });
  }

  listSnapshots(name: string): ResultAsync<InstanceSnapshot[], DriverError> {
    return this.#one("host.listSnapshots", name, (c) =>
      ok(c.snapshots.map((s) => ({ name: s.name, createdAt: s.createdAt.toISOString() }))),
    );
  }

  restoreSnapshot(name: string, snapshot: string): ResultAsync<void, DriverError> {
    return this.#snapshotOp("host.restoreSnapshot", name, snapshot, (c, snap) => {
      const found = c.snapshots.find((s) => s.name === snap);
      if (!found)
        return err(
          opError("host.restoreSnapshot", "not_found", `Snapshot "${c.name}/${snap}" does not exist`),
        );
      replaceImage(c.image, found.image);
      return ok(undefined);
    });
  }

  deleteSnapshot(name: string, snapshot: string): ResultAsync<void, DriverError> {
    return this.#snapshotOp("host.deleteSnapshot", name, snapshot, (c, snap) => {
      const index = c.snapshots.findIndex((s) => s.name === snap);
      if (index < 0)
        return err(
          opError("host.deleteSnapshot", "not_found", `Snapshot "${c.name}/${snap}" does not exist`),
        );
      c.snapshots.splice(index, 1);
      return ok(undefined);
    });
  }
}
