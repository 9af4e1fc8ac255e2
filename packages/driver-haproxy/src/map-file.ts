import type { DriverError } from "@backflip/core";
import { err, ok, type Result } from "neverthrow";
import { haproxyError } from "./haproxy-error";
import { MAP_REVISION_KEY } from "./revision";

/** One `key value` line of a map file. */
export interface MapEntry {
  readonly key: string;
  readonly value: string;
}

/** A parsed runtime-map file: the revision and one backend per component. */
export interface ColorMap {
  readonly revision: string | null;
  readonly entries: readonly MapEntry[];
}

const TOKEN = /^[A-Za-z0-9_.:@-]+$/;

/** Renders the map file of runtime-map mode: the revision line, then `component backend` lines. */
export function renderMapFile(revision: string, entries: readonly MapEntry[]): string {
  const lines = [
    "# Written by Backflip: the backend each component routes to (runtime-map mode).",
    "# Replaced atomically on every flip and pushed with the runtime API; do not edit by hand.",
    `${MAP_REVISION_KEY} ${revision}`,
    ...entries.map((e) => `${e.key} ${e.value}`),
  ];
  return `${lines.join("\n")}\n`;
}

/**
 * Parses a map file written by {@link renderMapFile} (comments and blank lines ignored).
 * Every line must be `key value` of plain tokens, each key once: anything else is
 * `invalid_input` naming the line, so a hand-edited file is never pushed half-understood.
 */
export function parseMapFile(content: string, op: string): Result<ColorMap, DriverError> {
  let revision: string | null = null;
  const entries: MapEntry[] = [];
  const seen = new Set<string>();
  const lines = content.split("\n");
  for (const [index, raw] of lines.entries()) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const parts = line.split(/\s+/);
    const [key, value] = parts;
    if (
      parts.length !== 2 ||
      key === undefined ||
      value === undefined ||
      !TOKEN.test(key) ||
      !TOKEN.test(value)
    ) {
      return err(
        haproxyError(
          op,
          "invalid_input",
          `map line ${index + 1} is not \`key value\`: ${JSON.stringify(line)}`,
          {
            hint: "render the map with the driver; a map line holds a component and a backend name",
          },
        ),
      );
    }
    if (seen.has(key)) {
      return err(haproxyError(op, "invalid_input", `map key ${key} appears twice (line ${index + 1})`));
    }
    seen.add(key);
    if (key === MAP_REVISION_KEY) revision = value;
    else entries.push({ key, value });
  }
  return ok({ revision, entries });
}
