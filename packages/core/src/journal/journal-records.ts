import { err, ok, type Result } from "neverthrow";
import type { DriverError } from "../errors/driver-error";
import { driverError } from "../errors/driver-error";
import type { JournalRecord } from "../ports/journal";
import { runIdSchema } from "../runner/run-id";
import { parseInput } from "../validate/parse-input";

/** Checks a run id before it touches storage (`invalid_input` otherwise). */
export function checkRunId(driver: string, op: string, runId: unknown): Result<string, DriverError> {
  return parseInput(runIdSchema, runId, { driver, op });
}

/** One JSONL line for `record`, or `invalid_input` when it is not a record or not JSON-serialisable. */
export function encodeRecord(driver: string, record: JournalRecord): Result<string, DriverError> {
  const bad = (message: string) =>
    err(driverError({ driver, op: "append", reason: "invalid_input", message }));
  if (!Number.isSafeInteger(record?.seq) || record.seq < 0) return bad("record.seq must be an integer ≥ 0");
  if (typeof record.event?.type !== "string") return bad("record.event must be a run event");
  try {
    return ok(`${JSON.stringify({ seq: record.seq, event: record.event })}\n`);
  } catch (cause) {
    return bad(`record is not JSON-serialisable: ${(cause as Error).message}`);
  }
}

/** What {@link scanJournal} finds in a journal's text. */
export interface JournalScan {
  /** The intact records, in order. */
  readonly records: JournalRecord[];
  /** Length in characters of the intact prefix (everything after it is a torn tail). */
  readonly intactLength: number;
  /** Set when a line before the last one is unreadable: the journal is corrupt, not torn. */
  readonly corruptLine?: number;
}

function parseLine(line: string, seq: number): JournalRecord | undefined {
  try {
    const value = JSON.parse(line) as JournalRecord;
    return value?.seq === seq && typeof value.event?.type === "string" ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Parses JSONL journal text. A crash can leave the last line torn (no newline, or cut
 * mid-record): it is dropped, since its append never returned. A bad line anywhere
 * else is corruption.
 */
export function scanJournal(text: string): JournalScan {
  const records: JournalRecord[] = [];
  let start = 0;
  while (start < text.length) {
    const end = text.indexOf("\n", start);
    if (end < 0) break;
    const record = parseLine(text.slice(start, end), records.length);
    if (!record) {
      const rest = text.slice(end + 1);
      return rest.length === 0
        ? { records, intactLength: start }
        : { records, intactLength: start, corruptLine: records.length + 1 };
    }
    records.push(record);
    start = end + 1;
  }
  return { records, intactLength: start };
}
