import { type DriverError, type Journal, loadRun, type RunReport } from "@backflip/core";
import { ResultAsync } from "neverthrow";

/** A run whose journal could not be read as a run (kept for the postmortem, listed so nobody misses it). */
export interface UnreadableRun {
  readonly runId: string;
  readonly message: string;
}

/** Every run a journal holds, rebuilt from its records. */
export interface RunListing {
  /** Newest first (by start time, then run id). */
  readonly runs: readonly RunReport[];
  readonly unreadable: readonly UnreadableRun[];
}

/** How many runs are read from the store at once: a shared store is not hammered by one listing. */
const READ_AT_ONCE = 8;

async function readAll(journal: Journal, ids: readonly string[]): Promise<RunListing> {
  const runs: RunReport[] = [];
  const unreadable: UnreadableRun[] = [];
  for (let at = 0; at < ids.length; at += READ_AT_ONCE) {
    const batch = ids.slice(at, at + READ_AT_ONCE);
    const loaded = await Promise.all(batch.map((id) => loadRun(journal, id)));
    loaded.forEach((result, i) => {
      if (result.isOk()) runs.push(result.value);
      else unreadable.push({ runId: batch[i] ?? "", message: result.error.message });
    });
  }
  runs.sort((a, b) => b.startedAt.localeCompare(a.startedAt) || b.runId.localeCompare(a.runId));
  return { runs, unreadable };
}

/** Lists the journal's runs (reads only): `runs` prints them, `status` picks the unfinished ones and their environments. */
export function listRuns(journal: Journal): ResultAsync<RunListing, DriverError> {
  return journal.list().andThen((ids) => ResultAsync.fromSafePromise(readAll(journal, ids)));
}
