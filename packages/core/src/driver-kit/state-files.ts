import { err, ok, type Result } from "neverthrow";
import type { DriverError } from "../errors/driver-error";
import type { HistoryEntry } from "../ports/traffic-switch";
import { driverErrorFor } from "./driver-error-for";

/** Which file is parsed, for which driver operation: named in the errors. */
export interface StateFileSource {
  /** The driver whose error a bad file becomes. */
  readonly driver: string;
  readonly op: string;
  readonly path: string;
}

/** One history line: `<time> <color> <sha|-> <runId|-> [actor]`, newest first in the file. */
export function formatHistoryLine(entry: HistoryEntry): string {
  const line = `${entry.at} ${entry.color} ${entry.sha ?? "-"} ${entry.runId ?? "-"}`;
  return entry.actor ? `${line} ${entry.actor}` : line;
}

const LINE = /^(\S+)\s+(\S+)(?:\s+(\S+))?(?:\s+(\S+))?(?:\s+(.*))?$/;

/** Parses the history file (newest first); a line without at least a time and a color is an error. */
export function parseHistory(content: string, source: StateFileSource): Result<HistoryEntry[], DriverError> {
  const { path } = source;
  const entries: HistoryEntry[] = [];
  for (const [index, raw] of content.split("\n").entries()) {
    const line = raw.trim();
    if (line === "") continue;
    const m = LINE.exec(line);
    if (!m) {
      return err(
        driverErrorFor(source.driver)(
          source.op,
          "failed",
          `${path} line ${index + 1} is not \`<time> <color> [sha] [run id] [actor]\``,
          {
            hint: `fix or move that line of ${path} (the runbook reads it with \`head -2\`), then retry`,
            details: { path, line: index + 1 },
          },
        ),
      );
    }
    const [, at, color, sha, runId, actor] = m;
    const given = (v: string | undefined) => (v === undefined || v === "-" || v === "" ? undefined : v);
    entries.push({
      at: at as string,
      color: color as string,
      ...(given(sha) ? { sha: sha as string } : {}),
      ...(given(runId) ? { runId: runId as string } : {}),
      ...(given(actor?.trim()) ? { actor: (actor as string).trim() } : {}),
    });
  }
  return ok(entries);
}

/** Parses the active-color file: one of `colors`. */
export function parseActiveColor(
  content: string,
  colors: readonly string[],
  source: StateFileSource,
): Result<string, DriverError> {
  const { path } = source;
  const color = content.trim();
  if (colors.includes(color)) return ok(color);
  return err(
    driverErrorFor(source.driver)(
      source.op,
      "failed",
      `${path} holds ${JSON.stringify(color.slice(0, 60))}, not one of the topology's colors (${colors.join(", ")})`,
      {
        hint: `check which color ${source.driver} really routes to (its live config), then write it to ${path}`,
        details: { path },
      },
    ),
  );
}

/** The history file's content for `entries` (newest first, one line each). */
export function formatHistory(entries: readonly HistoryEntry[]): string {
  return entries.map((e) => `${formatHistoryLine(e)}\n`).join("");
}
