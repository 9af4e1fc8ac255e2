import type { SwitchRequest } from "../ports/traffic-switch";

/**
 * The revision a switch stamps into the file it installs: `color:sha:runId`, with `-` for
 * an unknown SHA. One word of `[A-Za-z0-9_.:-]`, so any proxy can carry it in a variable.
 */
export function formatRevision(request: Pick<SwitchRequest, "color" | "sha" | "runId">): string {
  return `${request.color}:${request.sha ?? "-"}:${request.runId}`;
}
