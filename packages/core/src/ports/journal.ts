import type { ResultAsync } from "neverthrow";
import type { DriverError } from "../errors/driver-error";
import type { RunEvent } from "../runner/run-event";
import type { Fence } from "./lease-lock";

/** One durable journal line: a run event with its sequence number within the run. */
export interface JournalRecord {
  /** 0-based position of the record in its run's journal. */
  readonly seq: number;
  readonly event: RunEvent;
}

/** Options of {@link Journal.append}. */
export interface AppendOptions {
  /** Make the record durable before returning (default `true`). */
  readonly sync?: boolean;
  /**
   * The lease the writer holds. A journal coordinated with a lease store refuses the
   * append (`conflict`, `details: { fenced: true }`) when this token is no longer the
   * current lease on `fence.key`, so a holder whose lease was broken cannot write.
   */
  readonly fence?: Fence;
}

/** Durable, append-only record of every run: what makes resume and revert possible. */
export interface Journal {
  readonly name: string;
  /**
   * Appends one record; with `sync` (the default) durably (the file journal fsyncs)
   * before it returns. `sync: false` lets the record reach stable storage with the next
   * synced one: a killed process keeps it, an OS crash keeps a prefix of the run's
   * records that ends at or after the last synced one.
   */
  append(runId: string, record: JournalRecord, options?: AppendOptions): ResultAsync<void, DriverError>;
  /** All records of a run, in order; `not_found` when there is no such run. */
  read(runId: string): ResultAsync<JournalRecord[], DriverError>;
  /** Ids of every run in the journal. */
  list(): ResultAsync<string[], DriverError>;
}
