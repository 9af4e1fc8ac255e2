import { gunzipSync, gzipSync } from "node:zlib";
import type { JournalRecord, RunEvent } from "@backflip/core";

/** Prefix of a finished run's key on an archive (`<prefix><run>`). */
export const RUN_KEY_PREFIX = "user.backflip.run.";

/** Prefix of a run in flight's one key on the anchor (`<prefix><run>`). */
export const LIVE_KEY_PREFIX = "user.backflip.live.";

/**
 * A record key of the previous layout, one key per record on the anchor
 * (`user.backflip.run.<run>.<seq, 6 digits>`, the event's JSON): still read, never written.
 */
const RECORD_KEY = /^user\.backflip\.run\.(.+)\.(\d{6,})$/;

/** A run in flight as an anchor holds it. */
export interface AnchorRun {
  /**
   * Its records by seq (a previous-layout run keeps its gaps for the reader to see);
   * `undefined` when a key holding it is not a journal value (edited by hand, corrupted).
   */
  readonly records: JournalRecord[] | undefined;
  /** The anchor keys holding it: what moving it to the archive deletes. */
  readonly keys: string[];
}

/** The anchor key of a run in flight: all its stored records, {@link encodeRun}'d. */
export function liveKey(runId: string): string {
  return `${LIVE_KEY_PREFIX}${runId}`;
}

/** The archive key of a finished run (the same value as its anchor key had). */
export function archiveKey(runId: string): string {
  return `${RUN_KEY_PREFIX}${runId}`;
}

/** A run's records 0…n-1 as one config value: its events' JSON array, gzip'd, base64. */
export function encodeRun(records: readonly JournalRecord[]): string {
  return gzipSync(JSON.stringify(records.map((r) => r.event))).toString("base64");
}

/** The records of an {@link encodeRun} value (seq = position); `undefined` when it is not one. */
export function decodeRun(value: string): JournalRecord[] | undefined {
  const events = parsed(() => gunzipSync(Buffer.from(value, "base64")).toString("utf8"));
  return Array.isArray(events) ? events.map((event: RunEvent, seq) => ({ seq, event })) : undefined;
}

/** The JSON `text()` returns, or `undefined` when it throws or is not JSON. */
function parsed(text: () => string): unknown {
  try {
    return JSON.parse(text());
  } catch {
    return undefined;
  }
}

/** Ids of the runs in flight on an anchor, in either layout. */
export function anchorRunIds(config: Readonly<Record<string, string>>): string[] {
  const ids = new Set<string>();
  for (const [key, value] of Object.entries(config)) {
    if (value === "") continue;
    if (key.startsWith(LIVE_KEY_PREFIX)) ids.add(key.slice(LIVE_KEY_PREFIX.length));
    else {
      const old = RECORD_KEY.exec(key);
      if (old) ids.add(old[1]!);
    }
  }
  return [...ids];
}

/**
 * Run `runId` on an anchor, or `undefined` when it holds none of it: its one key, else
 * (a run written by the previous layout) its per-record keys sorted by seq.
 */
export function anchorRun(config: Readonly<Record<string, string>>, runId: string): AnchorRun | undefined {
  const live = config[liveKey(runId)];
  if (live) return { records: decodeRun(live), keys: [liveKey(runId)] };
  const records: JournalRecord[] = [];
  const keys: string[] = [];
  let readable = true;
  for (const [key, value] of Object.entries(config)) {
    const old = RECORD_KEY.exec(key);
    if (!old || old[1] !== runId || value === "") continue;
    const event = parsed(() => value) as RunEvent | undefined;
    if (typeof event?.type !== "string") readable = false;
    else records.push({ seq: Number(old[2]), event });
    keys.push(key);
  }
  if (keys.length === 0) return undefined;
  records.sort((a, b) => a.seq - b.seq);
  return { records: readable ? records : undefined, keys };
}

/** Every run in flight on an anchor, by run id. */
export function anchorRuns(config: Readonly<Record<string, string>>): Map<string, AnchorRun> {
  return new Map(anchorRunIds(config).map((id) => [id, anchorRun(config, id)!]));
}

/** The run ids archived in an archive's config. */
export function archivedRuns(config: Readonly<Record<string, string>>): string[] {
  return Object.keys(config)
    .filter((k) => k.startsWith(RUN_KEY_PREFIX) && config[k] !== "")
    .map((k) => k.slice(RUN_KEY_PREFIX.length));
}
