import type { SwitchRequest } from "@backflip/core";

/** The map key that carries the revision in runtime-map mode. */
export const MAP_REVISION_KEY = "backflip.revision";

/** The revision stamped into a config: `color:sha:runId`, with `-` for an unknown SHA. */
export function formatRevision(request: Pick<SwitchRequest, "color" | "sha" | "runId">): string {
  return `${request.color}:${request.sha ?? "-"}:${request.runId}`;
}

const CONFIG_STAMP = /^\s*set-var\s+proc\.cfg_rev\s+str\(([^)\s]*)\)\s*$/m;

/** The revision a `haproxy.cfg` stamps (`set-var proc.cfg_rev str(…)` in `global`), or `null`. */
export function configRevision(content: string): string | null {
  return CONFIG_STAMP.exec(content)?.[1] ?? null;
}
