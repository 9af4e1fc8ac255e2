import type { ResultAsync } from "neverthrow";
import type { DriverError } from "../errors/driver-error";
import type { Action } from "../plan/action";
import type { Shell } from "./shell";

/** One container and its status, like a row of `incus list -c n,s`. */
export interface InstanceInfo {
  /** The instance name. */
  readonly name: string;
  /** The backend's status word, e.g. `Running`, `Stopped`. */
  readonly status: string;
  /** The backend's numeric status code (Incus: 103 Running, 102 Stopped, …). */
  readonly statusCode: number;
  /** True when the instance is up (Incus 103 Running or 113 Ready). */
  readonly running: boolean;
  /** The cluster member the instance is on (Incus `location`); absent when the backend is not a cluster. */
  readonly location?: string;
}

/** Which instances {@link ContainerHost.list} returns. */
export interface InstanceFilter {
  /** Exact names (missing ones are simply absent from the result). */
  readonly names?: readonly string[];
  /** A name pattern with `*` wildcards and `{a,b}` alternatives, e.g. `veza-staging-{backend,stream,web}-blue`. */
  readonly pattern?: string;
}

/** Ownership and mode for a pushed file (applied when the file is created). */
export interface FileMeta {
  readonly mode?: number;
  readonly uid?: number;
  readonly gid?: number;
}

/** A snapshot of one instance. */
export interface InstanceSnapshot {
  readonly name: string;
  /** ISO-8601 creation time. */
  readonly createdAt: string;
}

/** A {@link ContainerHost} call a dry run describes. */
export type ContainerOperation =
  | { readonly op: "list"; readonly names: readonly string[] }
  | { readonly op: "start" | "stop" | "restart" | "delete"; readonly name: string };

/** Lists, starts, stops and deletes containers, and reaches inside them. Implemented by driver-incus. */
export interface ContainerHost {
  /** The driver's name for messages, e.g. `incus`. */
  readonly name: string;
  /** Instances matching the filter (all when none), with their status. */
  list(filter?: InstanceFilter): ResultAsync<InstanceInfo[], DriverError>;
  /** One instance's status; `not_found` when it does not exist. */
  state(name: string): ResultAsync<InstanceInfo, DriverError>;
  /** Starts an instance and waits for the operation to succeed. Starting a running instance succeeds. */
  start(name: string, options?: { timeoutS?: number }): ResultAsync<void, DriverError>;
  /** Stops an instance and waits; `force` kills it. Stopping a stopped instance succeeds. */
  stop(name: string, options?: { timeoutS?: number; force?: boolean }): ResultAsync<void, DriverError>;
  /** Deletes an instance; a running one is refused (`conflict`) unless `stopFirst`. */
  delete(name: string, options?: { stopFirst?: boolean }): ResultAsync<void, DriverError>;
  /** A {@link Shell} whose commands run inside the instance, like `incus exec NAME --`. */
  shell(name: string): Shell;
  /** Writes a file inside the instance atomically (temp + rename). */
  pushFile(
    name: string,
    path: string,
    data: string | Uint8Array,
    meta?: FileMeta,
  ): ResultAsync<void, DriverError>;
  /** Reads a file from inside the instance; `not_found` when missing. */
  pullFile(name: string, path: string): ResultAsync<Uint8Array, DriverError>;
  /** Creates a snapshot of the instance. */
  createSnapshot(name: string, snapshot: string): ResultAsync<InstanceSnapshot, DriverError>;
  /** The instance's snapshots, oldest first. */
  listSnapshots(name: string): ResultAsync<InstanceSnapshot[], DriverError>;
  /** Restores the instance to a snapshot. */
  restoreSnapshot(name: string, snapshot: string): ResultAsync<void, DriverError>;
  /** Deletes a snapshot. */
  deleteSnapshot(name: string, snapshot: string): ResultAsync<void, DriverError>;
  /**
   * The dry run of one call: the commands an operator would type for it (e.g. `incus start
   * NAME`). Optional: without it a dry run shows a note. Commands inside an instance are
   * described by its {@link Shell}'s `location`.
   */
  describe?(operation: ContainerOperation): readonly Action[];
}
