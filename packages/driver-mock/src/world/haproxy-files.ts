import { colorContainers, type HistoryEntry, type Topology } from "@backflip/core";

/** The revision stamped into a config: `color:sha:runId` (`-` for an unknown SHA). */
export const revisionOf = (color: string, sha: string | undefined, runId: string): string =>
  `${color}:${sha ?? "-"}:${runId}`;

/** Renders the simulated `haproxy.cfg` routing to `color`, stamped with `revision`. */
export function renderHaproxyConfig(topology: Topology, color: string, revision: string): string {
  const lines = [
    "# haproxy.cfg rendered by the Backflip simulated fleet",
    "global",
    "  master-worker",
    `  set-var proc.cfg_rev str(${revision})`,
    "frontend public",
    "  bind :443",
    `  default_backend be_${color}`,
  ];
  for (const c of topology.colors) {
    lines.push(`backend be_${c}`);
    for (const container of colorContainers(topology, c))
      lines.push(`  server ${container} ${container}:8080 check`);
  }
  return `${lines.join("\n")}\n`;
}

/** The facts of a config: its revision and the color it routes to (`null` when absent). */
export interface ParsedConfig {
  readonly revision: string | null;
  readonly color: string | null;
}

/** Reads the revision and the routed color out of a config's text. */
export function parseHaproxyConfig(text: string): ParsedConfig {
  const revision = /^\s*set-var proc\.cfg_rev str\(([^)\s]+)\)\s*$/m.exec(text)?.[1] ?? null;
  const color = /^\s*default_backend be_(\S+)\s*$/m.exec(text)?.[1] ?? null;
  return { revision, color };
}

const SECTION = /^(global|defaults|frontend \S+|backend \S+|listen \S+)$/;
const KEYWORDS = new Set([
  "master-worker",
  "set-var",
  "bind",
  "mode",
  "timeout",
  "maxconn",
  "log",
  "option",
  "balance",
  "stats",
  "acl",
  "http-request",
  "default_backend",
  "use_backend",
  "server",
]);

/** `haproxy -c` of the simulated proxy: the error lines, or an empty list when the config is valid. */
export function checkHaproxyConfig(topology: Topology, text: string): string[] {
  const problems: string[] = [];
  text.split("\n").forEach((line, i) => {
    const trimmed = line.trim();
    if (trimmed === "" || trimmed.startsWith("#")) return;
    const known = /^\s/.test(line) ? KEYWORDS.has(trimmed.split(/\s+/)[0] ?? "") : SECTION.test(trimmed);
    if (!known)
      problems.push(`[ALERT] parsing [haproxy.cfg:${i + 1}] : unknown keyword '${trimmed.split(/\s+/)[0]}'`);
  });
  const { revision, color } = parseHaproxyConfig(text);
  if (!/^frontend \S+$/m.test(text)) problems.push("[ALERT] config: no frontend section");
  if (color === null) problems.push("[ALERT] config: frontend 'public' has no default_backend");
  else if (!topology.colors.includes(color))
    problems.push(`[ALERT] config: unable to find required default_backend: 'be_${color}'`);
  for (const c of topology.colors) {
    if (!new RegExp(`^backend be_${c}$`, "m").test(text))
      problems.push(`[ALERT] config: backend 'be_${c}' is missing`);
  }
  if (revision === null) problems.push("[ALERT] config: the revision stamp (proc.cfg_rev) is missing");
  return problems;
}

/** One history line: `<at>\t<color>\t<sha|->\t<runId|->\t<actor|->`, tab-separated. */
export function formatHistoryLine(entry: HistoryEntry): string {
  const field = (v: string | undefined) => (v === undefined || v === "" ? "-" : v.replaceAll(/[\t\n]/g, " "));
  return [entry.at, entry.color, field(entry.sha), field(entry.runId), field(entry.actor)].join("\t");
}

/** Parses the history file, newest first, skipping lines that do not parse. */
export function parseHistory(text: string): HistoryEntry[] {
  const entries: HistoryEntry[] = [];
  for (const line of text.split("\n")) {
    const [at, color, sha, runId, actor] = line.split("\t").map((f) => f.trim());
    if (!at || !color) continue;
    const opt = (key: string, v: string | undefined) => (v === undefined || v === "-" ? {} : { [key]: v });
    entries.push({ at, color, ...opt("sha", sha), ...opt("runId", runId), ...opt("actor", actor) });
  }
  return entries;
}

/** Renders the history file from entries, newest first, keeping at most `limit`. */
export function formatHistory(entries: readonly HistoryEntry[], limit: number): string {
  const kept = entries.slice(0, limit);
  return kept.length === 0 ? "" : `${kept.map(formatHistoryLine).join("\n")}\n`;
}
