import { errAsync, okAsync, type ResultAsync } from "neverthrow";
import { type DriverError, driverError } from "../errors/driver-error";
import type { Journal, JournalRecord } from "../ports/journal";
import { checkRunId, encodeRecord } from "./journal-records";

const DRIVER = "memory-journal";

/**
 * A journal in memory, for tests and dry runs: same contract as the file journal
 * (records stored as JSON lines, so outputs must be JSON-serialisable; appends in `seq`
 * order), nothing durable.
 */
export class MemoryJournal implements Journal {
  readonly name = "memory";
  readonly #runs = new Map<string, string[]>();

  /** Appends one record. */
  append(runId: string, record: JournalRecord): ResultAsync<void, DriverError> {
    const id = checkRunId(DRIVER, "append", runId);
    if (id.isErr()) return errAsync(id.error);
    const line = encodeRecord(DRIVER, record);
    if (line.isErr()) return errAsync(line.error);
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
