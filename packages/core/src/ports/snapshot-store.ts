import type { ResultAsync } from "neverthrow";
import type { DriverError } from "../errors/driver-error";
import type { Action } from "../plan/action";

/** One dataset snapshot. */
export interface DatasetSnapshot {
  /** The dataset, e.g. `rpool/incus/containers/veza-staging-postgres`. */
  readonly dataset: string;
  /** The snapshot name after `@`, e.g. `pre-deploy-<sha>`. */
  readonly name: string;
  /** ISO-8601 creation time. */
  readonly createdAt: string;
}

/** What `rollback -r` to a snapshot would destroy. */
export interface DataLossReport {
  /** The snapshot rolled back to. */
  readonly target: DatasetSnapshot;
  /** Newer snapshots `-r` destroys, oldest first. */
  readonly destroyedSnapshots: readonly DatasetSnapshot[];
  /** Milliseconds of writes lost: now minus the snapshot's creation time. */
  readonly sinceMs: number;
  /** Bytes written since the snapshot, when the backend can tell; `null` otherwise. */
  readonly bytesWritten: number | null;
}

/** A {@link SnapshotStore} call a dry run describes. */
export type SnapshotOperation =
  | { readonly op: "list"; readonly dataset: string }
  | { readonly op: "rollback"; readonly dataset: string; readonly name: string };

/** Lists, creates and rolls back dataset snapshots. Implemented by driver-zfs. */
export interface SnapshotStore {
  readonly name: string;
  /** The dataset's snapshots, oldest first. */
  list(dataset: string): ResultAsync<DatasetSnapshot[], DriverError>;
  /** Creates `dataset@name`. */
  create(dataset: string, name: string): ResultAsync<DatasetSnapshot, DriverError>;
  /** Destroys `dataset@name`. */
  destroy(dataset: string, name: string): ResultAsync<void, DriverError>;
  /** What rolling back to `dataset@name` would lose; changes nothing. */
  planRollback(dataset: string, name: string): ResultAsync<DataLossReport, DriverError>;
  /** Rolls back with `-r`; refused (`invalid_input`) unless `acknowledgeDataLoss` is true. */
  rollback(
    dataset: string,
    name: string,
    options: { acknowledgeDataLoss: boolean },
  ): ResultAsync<DataLossReport, DriverError>;
  /** The dry run of one call: the commands it stands for (e.g. `zfs rollback -r`), where. Optional: else a note. */
  describe?(operation: SnapshotOperation): readonly Action[];
}
