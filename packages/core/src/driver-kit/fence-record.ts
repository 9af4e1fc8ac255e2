import { err, ok, type Result } from "neverthrow";
import type { DriverError } from "../errors/driver-error";
import type { Fence } from "../ports/lease-lock";
import { driverErrorFor } from "./driver-error-for";
import type { StateFileSource } from "./state-files";

/** Per lease key, the highest fencing token that changed a switch's traffic state. */
export type FenceRecord = ReadonlyMap<string, number>;

/** Where a switch records its {@link FenceRecord}: beside the active-color file, `<stateFile>.fence`. */
export function fenceFileOf(stateFile: string): string {
  return `${stateFile}.fence`;
}

const LINE = /^(\S+)\s+(\d{1,16})$/;

/** Parses a fence file: one `<lease key> <token>` line per key; a missing or empty file records nothing. */
export function parseFenceRecord(content: string, source: StateFileSource): Result<FenceRecord, DriverError> {
  const record = new Map<string, number>();
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
          `${source.path} line ${index + 1} is not \`<lease key> <token>\``,
          {
            hint: `${source.path} records the newest lease that changed the traffic state: fix that line, or remove the file if no run is in progress`,
            details: { path: source.path, line: index + 1 },
          },
        ),
      );
    }
    record.set(m[1] as string, Math.max(token, record.get(m[1] as string) ?? 0));
  }
  return ok(record);
}

/** The fence file's content for `record` (one line per key, sorted). */
export function formatFenceRecord(record: FenceRecord): string {
  return [...record]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, token]) => `${key} ${token}\n`)
    .join("");
}

/**
 * Admits a write made under `fence` against what the state recorded: refused with reason
 * `conflict` and `details: { fenced: true, key, token, current }` when a newer token of the
 * same key changed the state already; otherwise the record to write back (`null` when it
 * already holds this token: nothing to write).
 */
export function admitFence(
  record: FenceRecord,
  fence: Fence,
  source: StateFileSource,
): Result<FenceRecord | null, DriverError> {
  const { key, token } = fence;
  const current = record.get(key);
  if (current === token) return ok(null);
  if (current === undefined || current < token) return ok(new Map(record).set(key, token));
  return err(
    driverErrorFor(source.driver)(
      source.op,
      "conflict",
      `refusing ${source.op}: the traffic state of ${key} was changed under lease token ${current}, newer than this run's token ${token}`,
      {
        hint: "this run's lease was broken by another run: do not retry; inspect with status",
        details: { fenced: true, key, token, current, path: source.path },
      },
    ),
  );
}
