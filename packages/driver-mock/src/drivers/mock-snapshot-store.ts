import type {
  Action,
  DataLossReport,
  DatasetSnapshot,
  DriverError,
  SnapshotOperation,
  SnapshotStore,
} from "@backflip/core";
import { datasetNameSchema, invalidInput, parseInput, snapshotNameSchema } from "@backflip/core/driver-kit";
import { err, ok, type Result, type ResultAsync } from "neverthrow";
import type { FleetOp } from "../fleet-ops";
import {
  cloneImage,
  type DatasetState,
  replaceImage,
  type SnapshotState,
  type WorldState,
} from "../world/world-state";
import { type FleetRuntime, opError, operation } from "./operation";

const DRIVER = "mock-snapshots";

/**
 * The simulated ZFS: one dataset per container (`datasetName(snapshots, container)`),
 * plus standalone ones the world adds. A snapshot captures the container's files and
 * database; `rollback` (`-r`) restores them and destroys newer snapshots. It refuses
 * without `acknowledgeDataLoss` (`invalid_input`, the report in `details`) and while
 * the container runs (`conflict`: stop it first).
 */
export class MockSnapshotStore implements SnapshotStore {
  readonly name = DRIVER;

  constructor(
    readonly world: WorldState,
    readonly runtime: FleetRuntime,
  ) {}

  #view(dataset: string, s: SnapshotState): DatasetSnapshot {
    return { dataset, name: s.name, createdAt: s.createdAt.toISOString() };
  }

  /** The `zfs` command a call stands for, on the simulated host. */
  describe(operation: SnapshotOperation): readonly Action[] {
    const argv =
      operation.op === "list"
        ? ["zfs", "list", "-H", "-p", "-t", "snapshot", "-o", "name,creation", "-d", "1", operation.dataset]
        : ["zfs", "rollback", "-r", `${operation.dataset}@${operation.name}`];
    return [{ kind: "exec", where: { kind: "local" }, argv }];
  }

  #dataset(op: FleetOp, name: string): Result<DatasetState, DriverError> {
    const ds = this.world.datasets.get(name);
    return ds ? ok(ds) : err(opError(op, "not_found", `cannot open '${name}': dataset does not exist`));
  }

  #input(
    op: FleetOp,
    dataset: string,
    name?: string,
  ): Result<{ dataset: string; name: string }, DriverError> {
    const where = { driver: DRIVER, op: op.slice(10) };
    return parseInput(datasetNameSchema, dataset, where).andThen((d) =>
      name === undefined
        ? ok({ dataset: d, name: "" })
        : parseInput(snapshotNameSchema, name, where).map((n) => ({ dataset: d, name: n })),
    );
  }

  #report(ds: DatasetState, name: string, op: FleetOp): Result<DataLossReport, DriverError> {
    const index = ds.snapshots.findIndex((s) => s.name === name);
    const target = ds.snapshots[index];
    if (!target)
      return err(opError(op, "not_found", `cannot open '${ds.name}@${name}': dataset does not exist`));
    return ok({
      target: this.#view(ds.name, target),
      destroyedSnapshots: ds.snapshots.slice(index + 1).map((s) => this.#view(ds.name, s)),
      sinceMs: Math.max(0, this.runtime.clock.epochMs() - target.createdAt.getTime()),
      bytesWritten: null,
    });
  }

  list(dataset: string): ResultAsync<DatasetSnapshot[], DriverError> {
    return operation(
      this.runtime,
      { op: "snapshots.list", target: (v: { dataset: string }) => v.dataset },
      () => this.#input("snapshots.list", dataset),
      (v) =>
        this.#dataset("snapshots.list", v.dataset).map((ds) =>
          ds.snapshots.map((s) => this.#view(ds.name, s)),
        ),
    );
  }

  create(dataset: string, name: string): ResultAsync<DatasetSnapshot, DriverError> {
    return operation(
      this.runtime,
      { op: "snapshots.create", target: (v: { dataset: string }) => v.dataset },
      () => this.#input("snapshots.create", dataset, name),
      (v) =>
        this.#dataset("snapshots.create", v.dataset).andThen((ds) => {
          if (ds.snapshots.some((s) => s.name === v.name))
            return err(
              opError(
                "snapshots.create",
                "conflict",
                `cannot create snapshot '${v.dataset}@${v.name}': dataset already exists`,
              ),
            );
          const snapshot = { name: v.name, createdAt: this.runtime.clock.now(), image: cloneImage(ds.image) };
          ds.snapshots.push(snapshot);
          return ok(this.#view(ds.name, snapshot));
        }),
    );
  }

  destroy(dataset: string, name: string): ResultAsync<void, DriverError> {
    return operation(
      this.runtime,
      { op: "snapshots.destroy", target: (v: { dataset: string }) => v.dataset },
      () => this.#input("snapshots.destroy", dataset, name),
      (v) =>
        this.#dataset("snapshots.destroy", v.dataset).andThen((ds) => {
          const index = ds.snapshots.findIndex((s) => s.name === v.name);
          if (index < 0)
            return err(
              opError(
                "snapshots.destroy",
                "not_found",
                `could not find any snapshots to destroy; check snapshot names (${v.dataset}@${v.name})`,
              ),
            );
          ds.snapshots.splice(index, 1);
          return ok(undefined);
        }),
    );
  }

  planRollback(dataset: string, name: string): ResultAsync<DataLossReport, DriverError> {
    return operation(
      this.runtime,
      { op: "snapshots.planRollback", target: (v: { dataset: string }) => v.dataset },
      () => this.#input("snapshots.planRollback", dataset, name),
      (v) =>
        this.#dataset("snapshots.planRollback", v.dataset).andThen((ds) =>
          this.#report(ds, v.name, "snapshots.planRollback"),
        ),
    );
  }

  rollback(
    dataset: string,
    name: string,
    options: { acknowledgeDataLoss: boolean },
  ): ResultAsync<DataLossReport, DriverError> {
    return operation(
      this.runtime,
      { op: "snapshots.rollback", target: (v: { dataset: string }) => v.dataset },
      () => this.#input("snapshots.rollback", dataset, name),
      (v) =>
        this.#dataset("snapshots.rollback", v.dataset).andThen((ds) =>
          this.#report(ds, v.name, "snapshots.rollback").andThen((report) => {
            if (options?.acknowledgeDataLoss !== true) {
              const lost = report.destroyedSnapshots.map((s) => s.name);
              const error = invalidInput(
                DRIVER,
                "rollback",
                `zfs rollback -r ${v.dataset}@${v.name} loses ${Math.round(report.sinceMs / 1000)} s of writes` +
                  `${lost.length ? ` and destroys ${lost.join(", ")}` : ""}: refused without acknowledgeDataLoss`,
                "re-run with acknowledgeDataLoss once the loss is accepted (last resort only)",
              );
              return err({ ...error, details: { report } });
            }
            const container = ds.container === null ? undefined : this.world.containers.get(ds.container);
            if (container?.status === "Running") {
              return err(
                opError(
                  "snapshots.rollback",
                  "conflict",
                  `cannot rollback '${v.dataset}': dataset is busy (${container.name} is running)`,
                  {
                    hint: `incus stop ${container.name} first`,
                  },
                ),
              );
            }
            const index = ds.snapshots.findIndex((s) => s.name === v.name);
            const target = ds.snapshots[index];
            if (target) replaceImage(ds.image, target.image);
            ds.snapshots.splice(index + 1);
            return ok(report);
          }),
        ),
    );
  }
}
