import type { DriverError, HistoryEntry } from "@backflip/core";
import { err, ok, type Result } from "neverthrow";
import { haproxyError } from "./haproxy-error";

/** One history line: `<time> <color> <sha|-> <runId|-> [actor]`, newest first in the file. */
export function formatHistoryLine(entry: HistoryEntry): string {
  const line = `${entry.at} ${entry.color} ${entry.sha ?? "-"} ${entry.runId ?? "-"}`;
  return entry.actor ? `${line} ${entry.actor}` : line;
}

const LINE = /^(\S+)\s+(\S+)(?:\s+(\S+))?(?:\s+(\S+))?(?:\s+(.*))?$/;

/** Parses the history file (newest first); a line without at least a time and a color is an error. */
export function parseHistory(content: string, path: string, op: string): Result<HistoryEntry[], DriverError> {
  const entries: HistoryEntry[] = [];
  for (const [index, raw] of content.split("\n").entries()) {
    const line = raw.trim();
    if (line === "") continue;
    const m = LINE.exec(line);
    if (!m) {
      return err(
        haproxyError(
          op,
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

/** Parses the active-color file: one color of the topology. */
export function parseActiveColor(
  content: string,
  colors: readonly string[],
  path: string,
  op: string,
): Result<string, DriverError> {
  const color = content.trim();
  if (colors.includes(color)) return ok(color);
  return err(
    haproxyError(
      op,
      "failed",
      `${path} holds ${JSON.stringify(color.slice(0, 60))}, not one of the topology's colors (${colors.join(", ")})`,
      {
        hint: `check which color HAProxy really routes to (the config's use_backend), then write it to ${path}`,
        details: { path },
      },
    ),
  );
}
