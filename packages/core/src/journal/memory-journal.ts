import { errAsync, okAsync, type ResultAsync } from "neverthrow";
import { type DriverError, driverError } from "../errors/driver-error";
import type { AppendOptions, Journal, JournalRecord } from "../ports/journal";
import { type FenceAuthority, fenceRefusal } from "./fence-check";
import { checkRunId, encodeRecord } from "./journal-records";

const DRIVER = "memory-journal";

/** Options for {@link MemoryJournal}. */
export interface MemoryJournalOptions {
  /**
   * The lock whose leases fence this journal (e.g. the run's `MemoryLeaseLock`): an
   * append made under a fence that is no longer the current lease on its key is refused
   * (`conflict`, `details.fenced`). Appends without a fence are not checked.
   */
  readonly fencedBy?: FenceAuthority;
}

/**
 * A journal in memory, for tests and dry runs: same contract as the file journal
 * (records stored as JSON lines, so outputs must be JSON-serialisable; appends in `seq`
 * order; fenced by a lock when given one), nothing durable.
 */
export class MemoryJournal implements Journal {
  readonly name = "memory";
  readonly #runs = new Map<string, string[]>();
  readonly #fencedBy: FenceAuthority | undefined;

  /** An empty journal, fenced by `options.fencedBy` when given. */
  constructor(options: MemoryJournalOptions = {}) {
    this.#fencedBy = options.fencedBy;
  }

  /** Appends one record; refused when its fence is no longer current. */
  append(runId: string, record: JournalRecord, options: AppendOptions = {}): ResultAsync<void, DriverError> {
    const id = checkRunId(DRIVER, "append", runId);
    if (id.isErr()) return errAsync(id.error);
    const line = encodeRecord(DRIVER, record);
    if (line.isErr()) return errAsync(line.error);
    const fenced = fenceRefusal(DRIVER, runId, this.#fencedBy, options.fence);
    if (fenced) return errAsync(fenced);
    const lines = this.#runs.get(runId) ?? [];
    if (record.seq !== lines.length) {
      return errAsync(
        driverError({
          driver: DRIVER,
          op: "append",
          reason: "conflict",
          message: `run ${runId}: expected record ${lines.length}, got ${record.seq}`,
        }),
      );
    }
    lines.push(line.value);
    this.#runs.set(runId, lines);
    return okAsync(undefined);
  }

  /** A run's records in order (fresh copies); `not_found` for an unknown run. */
  read(runId: string): ResultAsync<JournalRecord[], DriverError> {
    const id = checkRunId(DRIVER, "read", runId);
    if (id.isErr()) return errAsync(id.error);
    const lines = this.#runs.get(runId);
    if (!lines) {
      return errAsync(
        driverError({
          driver: DRIVER,
          op: "read",
          reason: "not_found",
          message: `no run ${runId} in the journal`,
        }),
      );
    }
    return okAsync(lines.map((l) => JSON.parse(l) as JournalRecord));
  }

  /** Ids of every run, sorted. */
  list(): ResultAsync<string[], DriverError> {
    return okAsync([...this.#runs.keys()].sort());
  }
}
