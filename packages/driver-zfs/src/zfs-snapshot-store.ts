import type {
  Action,
  DataLossReport,
  DatasetSnapshot,
  DriverError,
  Shell,
  ShellResult,
  SnapshotOperation,
  SnapshotStore,
  Topology,
} from "@backflip/core";
import {
  datasetNameSchema,
  freeTextSchema,
  lazySchema,
  locationOf,
  parseInput,
  shortShaSchema,
  snapshotNameSchema,
} from "@backflip/core/driver-kit";
import { describeDataLoss } from "@backflip/core/recipes";
import { err, errAsync, ok, type Result, ResultAsync } from "neverthrow";
import * as z from "zod";
import { parseBytes, parseSnapshots } from "./parse-snapshots";
import { DRIVER, zfsError, zfsFailure } from "./zfs-error";

/** Options of a {@link ZfsSnapshotStore}. */
export interface ZfsSnapshotStoreOptions {
  /** Where `zfs` runs: the host's Shell (local, SSH, …). */
  readonly shell: Shell;
  /** The zfs command as an argv prefix (default `["zfs"]`; e.g. `["sudo", "-n", "zfs"]`). */
  readonly zfsCommand?: readonly string[];
  /** The pre-deploy snapshot prefix (default: the topology's `snapshots.prefix`, else `pre-deploy-`). */
  readonly snapshotPrefix?: string;
  /** Takes the prefix from a topology. */
  readonly topology?: Topology;
  /** Per-command timeout in milliseconds (default 120000). */
  readonly timeoutMs?: number;
  /** The clock, for `sinceMs` (default `Date.now`). */
  readonly now?: () => number;
  /** Name in messages (default `zfs@<shell name>`). */
  readonly name?: string;
}

const optionsSchema = lazySchema(() =>
  z.object({
    shell: z.custom<Shell>((s) => typeof (s as Shell | null)?.run === "function", "expected a Shell"),
    zfsCommand: z.array(z.string().min(1)).min(1).optional(),
    snapshotPrefix: snapshotNameSchema.optional(),
    topology: z
      .object({ snapshots: z.object({ prefix: z.string() }).optional() })
      .passthrough()
      .optional(),
    timeoutMs: z.number().int().positive().optional(),
    now: z.function().optional(),
    name: freeTextSchema(200).optional(),
  }),
);

const targetSchema = lazySchema(() => z.object({ dataset: datasetNameSchema, name: snapshotNameSchema }));

/**
 * A {@link SnapshotStore} over `zfs` on any {@link Shell}: OpenZFS 2.x and zfs-fuse.
 * Names are validated before anything runs; every command is an argv. Rollbacks use
 * `-r` and are refused unless the caller acknowledges the data loss they report.
 */
export class ZfsSnapshotStore implements SnapshotStore {
  /** Name in messages. */
  readonly name: string;
  readonly #shell: Shell;
  readonly #zfs: readonly string[];
  readonly #prefix: string;
  readonly #timeoutMs: number;
  readonly #now: () => number;
  /** Learned on first use: zfs-fuse has no `written` property. */
  #writtenSupported = true;

  private constructor(options: ZfsSnapshotStoreOptions) {
    this.#shell = options.shell;
    this.#zfs = options.zfsCommand ?? ["zfs"];
    this.#prefix = options.snapshotPrefix ?? options.topology?.snapshots?.prefix ?? "pre-deploy-";
    this.#timeoutMs = options.timeoutMs ?? 120_000;
    this.#now = options.now ?? Date.now;
    this.name = options.name ?? `zfs@${options.shell.name}`;
  }

  /** Validates the options; see {@link createZfsSnapshotStore}. */
  static create(options: ZfsSnapshotStoreOptions): Result<ZfsSnapshotStore, DriverError> {
    return parseInput(optionsSchema, options, { driver: DRIVER, op: "options" }).map(
      () => new ZfsSnapshotStore(options),
    );
  }

  /** The dataset's own snapshots (not its children's), oldest first. */
  list(dataset: string): ResultAsync<DatasetSnapshot[], DriverError> {
    const checked = parseInput(datasetNameSchema, dataset, { driver: DRIVER, op: "list" });
    if (checked.isErr()) return errAsync(checked.error);
    return this.#zfsRun("list", `listing snapshots of ${dataset}`, listArgs(dataset)).andThen((r) => {
      const snapshots = parseSnapshots(dataset, r.stdout);
      return snapshots === null
        ? err(
            zfsError(
              "list",
              "unsupported",
              `zfs on ${this.#shell.name} ignored -p: creation times are not numeric`,
              { hint: "use OpenZFS 2.x or zfs-fuse 0.7" },
            ),
          )
        : ok(snapshots);
    });
  }

  /**
   * The newest pre-deploy snapshot of `dataset` (name starting with the prefix), or with
   * `sha` the newest whose name carries that SHA (full or abbreviated either way).
   */
  findPreDeploy(dataset: string, options: { sha?: string } = {}): ResultAsync<DatasetSnapshot, DriverError> {
    const sha =
      options.sha === undefined
        ? ok(undefined)
        : parseInput(shortShaSchema, options.sha, { driver: DRIVER, op: "findPreDeploy" });
    if (sha.isErr()) return errAsync(sha.error);
    return this.list(dataset).andThen((snapshots) => {
      const matching = snapshots.filter((s) => {
        if (!s.name.startsWith(this.#prefix)) return false;
        const rest = s.name.slice(this.#prefix.length);
        return (
          sha.value === undefined ||
          (rest.length >= 7 && (rest.startsWith(sha.value) || sha.value.startsWith(rest)))
        );
      });
      const newest = matching.at(-1);
      if (newest !== undefined) return ok(newest);
      const names = snapshots.map((s) => `@${s.name}`).join(", ") || "none";
      return err(
        zfsError(
          "findPreDeploy",
          "not_found",
          `no ${this.#prefix}${sha.value ?? "*"} snapshot of ${dataset} (snapshots: ${names})`,
          {
            hint: "without a pre-deploy snapshot Path 3's ZFS restore is impossible: use the inverse SQL instead",
            details: {
              dataset,
              prefix: this.#prefix,
              ...(sha.value === undefined ? {} : { sha: sha.value }),
            },
          },
        ),
      );
    });
  }

  /** Creates `dataset@name` and returns it with its creation time. */
  create(dataset: string, name: string): ResultAsync<DatasetSnapshot, DriverError> {
    const checked = parseInput(targetSchema, { dataset, name }, { driver: DRIVER, op: "create" });
    if (checked.isErr()) return errAsync(checked.error);
    const full = `${dataset}@${name}`;
    return this.#zfsRun("create", `zfs snapshot ${full}`, ["snapshot", full])
      .andThen(() => this.list(dataset))
      .andThen((snapshots) => {
        const made = snapshots.find((s) => s.name === name);
        return made === undefined
          ? err(zfsError("create", "failed", `zfs snapshot ${full} succeeded but the snapshot is not listed`))
          : ok(made);
      });
  }

  /** Destroys the snapshot `dataset@name` (never a dataset, never recursively). */
  destroy(dataset: string, name: string): ResultAsync<void, DriverError> {
    const checked = parseInput(targetSchema, { dataset, name }, { driver: DRIVER, op: "destroy" });
    if (checked.isErr()) return errAsync(checked.error);
    const full = `${dataset}@${name}`;
    return this.#zfsRun("destroy", `zfs destroy ${full}`, ["destroy", full]).map(() => undefined);
  }

  /** What `zfs rollback -r dataset@name` would lose: newer snapshots, time, bytes when known. Changes nothing. */
  planRollback(dataset: string, name: string): ResultAsync<DataLossReport, DriverError> {
    const checked = parseInput(targetSchema, { dataset, name }, { driver: DRIVER, op: "planRollback" });
    if (checked.isErr()) return errAsync(checked.error);
    return this.list(dataset).andThen((snapshots) => {
      const index = snapshots.findIndex((s) => s.name === name);
      const target = snapshots[index];
      if (target === undefined) {
        return errAsync(
          zfsError(
            "planRollback",
            "not_found",
            `${dataset}@${name} does not exist (snapshots: ${snapshots.map((s) => `@${s.name}`).join(", ") || "none"})`,
            {
              hint: "pick an existing snapshot: zfs list -t snapshot -r <dataset>",
              details: { dataset, snapshot: name },
            },
          ),
        );
      }
      return this.#bytesWritten(dataset, name).map(
        (bytesWritten): DataLossReport => ({
          target,
          destroyedSnapshots: snapshots.slice(index + 1),
          sinceMs: Math.max(0, this.#now() - Date.parse(target.createdAt)),
          bytesWritten,
        }),
      );
    });
  }

  /**
   * Rolls `dataset` back to `name` with `zfs rollback -r`. Without `acknowledgeDataLoss`
   * it changes nothing and returns `invalid_input` naming what would be lost.
   */
  rollback(
    dataset: string,
    name: string,
    options: { acknowledgeDataLoss: boolean },
  ): ResultAsync<DataLossReport, DriverError> {
    const ack = parseInput(z.object({ acknowledgeDataLoss: z.boolean() }), options, {
      driver: DRIVER,
      op: "rollback",
    });
    if (ack.isErr()) return errAsync(ack.error);
    return this.planRollback(dataset, name).andThen((report) => {
      if (!ack.value.acknowledgeDataLoss) {
        return errAsync(
          zfsError(
            "rollback",
            "invalid_input",
            `refused: zfs rollback -r ${dataset}@${name} ${describeDataLoss(report)}`,
            {
              hint: "this is Path 3's last resort: pass acknowledgeDataLoss: true only when losing that data is accepted",
              details: { report },
            },
          ),
        );
      }
      const full = `${dataset}@${name}`;
      return this.#zfsRun("rollback", `zfs rollback -r ${full}`, rollbackArgs(full)).map(() => report);
    });
  }

  /** The dry run of a call: the zfs command it runs, where its shell runs it. */
  describe(operation: SnapshotOperation): readonly Action[] {
    const args =
      operation.op === "list"
        ? listArgs(operation.dataset)
        : rollbackArgs(`${operation.dataset}@${operation.name}`);
    return [{ kind: "exec", where: locationOf(this.#shell), argv: [...this.#zfs, ...args] }];
  }

  #bytesWritten(dataset: string, name: string): ResultAsync<number | null, DriverError> {
    if (!this.#writtenSupported) return ResultAsync.fromSafePromise(Promise.resolve(null));
    return this.#zfsRun("planRollback", "reading written@", [
      "get",
      "-H",
      "-p",
      "-o",
      "value",
      `written@${name}`,
      dataset,
    ])
      .map((r) => parseBytes(r.stdout))
      .orElse((e) => {
        if (e.reason !== "unsupported") return err(e);
        this.#writtenSupported = false;
        return ok(null);
      });
  }

  #zfsRun(op: string, what: string, args: readonly string[]): ResultAsync<ShellResult, DriverError> {
    return this.#shell
      .run([...this.#zfs, ...args], { timeoutMs: this.#timeoutMs })
      .andThen((r) => (r.exitCode === 0 ? ok(r) : err(zfsFailure(op, what, this.#shell.name, r))));
  }
}

/** `zfs get` of the creation of a dataset's own snapshots (the arguments after `zfs`). */
function listArgs(dataset: string): string[] {
  return ["get", "-H", "-p", "-r", "-d", "1", "-o", "name,property,value", "createtxg,creation", dataset];
}

/** `zfs rollback -r` to `dataset@name`, destroying newer snapshots (the arguments after `zfs`). */
function rollbackArgs(full: string): string[] {
  return ["rollback", "-r", full];
}

/** Validates the options into a {@link ZfsSnapshotStore}; nothing runs yet. */
export function createZfsSnapshotStore(
  options: ZfsSnapshotStoreOptions,
): Result<ZfsSnapshotStore, DriverError> {
  return ZfsSnapshotStore.create(options);
}
