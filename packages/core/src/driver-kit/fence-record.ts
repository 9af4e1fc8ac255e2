import { err, ok, type Result } from "neverthrow";
import type { DriverError } from "../errors/driver-error";
import type { Fence } from "../ports/lease-lock";
import { driverErrorFor } from "./driver-error-for";
import type { StateFileSource } from "./state-files";

/** One line of a {@link FenceRecord}: the newest token of a lease key from one issuer. */
export interface FenceEntry {
  readonly key: string;
  readonly token: number;
  /** The lease store that issued the token (`Fence.issuer`); absent for fences without one. */
  readonly issuer?: string;
}

/**
 * Per lease key and issuer, the newest fencing token that changed a switch's traffic
 * state; the most recently written first, at most {@link FENCE_RECORD_LIMIT} entries.
 */
export type FenceRecord = readonly FenceEntry[];

/** How many (key, issuer) entries a fence record keeps: the least recently written go first. */
export const FENCE_RECORD_LIMIT = 32;

/** Where a switch records its {@link FenceRecord}: beside the active-color file, `<stateFile>.fence`. */
export function fenceFileOf(stateFile: string): string {
  return `${stateFile}.fence`;
}

const LINE = /^(\S+)\s+(\d{1,16})(?:\s+(.+))?$/;

/**
 * Parses a fence file: one `<lease key> <token> [issuer]` line per entry, most recently
 * written first; a missing or empty file records nothing.
 */
export function parseFenceRecord(content: string, source: StateFileSource): Result<FenceRecord, DriverError> {
  const entries: FenceEntry[] = [];
  for (const [index, raw] of content.split("\n").entries()) {
    const line = raw.trim();
    if (line === "") continue;
    const m = LINE.exec(line);
    const token = Number(m?.[2]);
    if (!m || !Number.isSafeInteger(token)) {
      return err(
        driverErrorFor(source.driver)(
          source.op,
          "failed",
          `${source.path} line ${index + 1} is not \`<lease key> <token> [issuer]\``,
          {
            hint: `${source.path} records the newest lease that changed the traffic state: fix that line, or remove the file if no run is in progress`,
            details: { path: source.path, line: index + 1 },
          },
        ),
      );
    }
    const issuer = m[3];
    entries.push({ key: m[1] as string, token, ...(issuer === undefined ? {} : { issuer }) });
  }
  return ok(entries);
}

/** The fence file's content for `record` (one line per entry, in order). */
export function formatFenceRecord(record: FenceRecord): string {
  return record.map((e) => `${e.key} ${e.token}${e.issuer === undefined ? "" : ` ${e.issuer}`}\n`).join("");
}

/**
 * Admits a write made under `fence` against what the state recorded. Tokens are compared
 * only with the same key's from the same issuer (tokens of two lease stores are not
 * ordered). Refused with reason `conflict` and `details: { fenced: true, key, token,
 * current }` when a newer token changed the state already; otherwise the record to write
 * back, this entry first (`null` when it is already the first and holds this token).
 */
export function admitFence(
  record: FenceRecord,
  fence: Fence,
  source: StateFileSource,
): Result<FenceRecord | null, DriverError> {
  const { key, token, issuer } = fence;
  const same = (e: FenceEntry) => e.key === key && e.issuer === issuer;
  const current = record.find(same)?.token;
  if (current !== undefined && current > token) {
    const from = issuer === undefined ? "" : ` (issued by ${issuer})`;
    return err(
      driverErrorFor(source.driver)(
        source.op,
        "conflict",
        `refusing ${source.op}: the traffic state of ${key} was changed under lease token ${current}${from}, newer than this run's token ${token}`,
        {
          hint: "this run's lease was broken by another run: do not retry; inspect with status",
          details: {
            fenced: true,
            key,
            token,
            current,
            path: source.path,
            ...(issuer === undefined ? {} : { issuer }),
          },
        },
      ),
    );
  }
  if (current === token && record[0] !== undefined && same(record[0])) return ok(null);
  const entry: FenceEntry = { key, token, ...(issuer === undefined ? {} : { issuer }) };
  return ok([entry, ...record.filter((e) => !same(e))].slice(0, FENCE_RECORD_LIMIT));
}
