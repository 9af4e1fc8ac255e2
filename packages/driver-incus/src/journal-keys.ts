import { gunzipSync, gzipSync } from "node:zlib";
import type { JournalRecord, RunEvent } from "@backflip/core";

/** Prefix of every journal key, on the anchor (`<prefix><run>.<seq>`) and the archive (`<prefix><run>`). */
export const RUN_KEY_PREFIX = "user.backflip.run.";

const RECORD_KEY = /^user\.backflip\.run\.(.+)\.(\d{6,})$/;

/** The anchor key of record `seq` of `runId` (seq zero-padded to 6 digits, so keys sort). */
export function recordKey(runId: string, seq: number): string {
  return `${RUN_KEY_PREFIX}${runId}.${String(seq).padStart(6, "0")}`;
}

/** The run and seq of an anchor record key, or `undefined` for any other key. */
export function parseRecordKey(key: string): { runId: string; seq: number } | undefined {
  const match = RECORD_KEY.exec(key);
  return match ? { runId: match[1]!, seq: Number(match[2]) } : undefined;
}

/** Every run's records on an anchor, by run id, each sorted by seq (gaps are kept for the reader to see). */
export function anchorRuns(config: Readonly<Record<string, string>>): Map<string, JournalRecord[]> {
  const runs = new Map<string, JournalRecord[]>();
  for (const [key, value] of Object.entries(config)) {
    const parsed = parseRecordKey(key);
    if (!parsed || value === "") continue;
    const records = runs.get(parsed.runId) ?? [];
    records.push({ seq: parsed.seq, event: JSON.parse(value) as RunEvent });
    runs.set(parsed.runId, records);
  }
  for (const records of runs.values()) records.sort((a, b) => a.seq - b.seq);
  return runs;
}

/** The archive key of a finished run. */
export function archiveKey(runId: string): string {
  return `${RUN_KEY_PREFIX}${runId}`;
}

/** A finished run's events as one archive value: gzip'd JSON, base64. */
export function encodeArchived(records: readonly JournalRecord[]): string {
  return gzipSync(JSON.stringify(records.map((r) => r.event))).toString("base64");
}

/** The records of an archive value. */
export function decodeArchived(value: string): JournalRecord[] {
  const events = JSON.parse(gunzipSync(Buffer.from(value, "base64")).toString("utf8")) as RunEvent[];
  return events.map((event, seq) => ({ seq, event }));
}

/** The run ids archived in an archive's config. */
export function archivedRuns(config: Readonly<Record<string, string>>): string[] {
  return Object.keys(config)
    .filter((k) => k.startsWith(RUN_KEY_PREFIX) && config[k] !== "")
    .map((k) => k.slice(RUN_KEY_PREFIX.length));
}
