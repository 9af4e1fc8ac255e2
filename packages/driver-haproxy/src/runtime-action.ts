import type { Action, ExecLocation } from "@backflip/core";

/** Where runtime API requests go, for dry runs. */
export interface RuntimeApiPlace {
  /** Where `socat` would run (the HAProxy host). */
  readonly where: ExecLocation;
  /** The `socat` binary there. */
  readonly socatBin: string;
}

/** The dry-run action of one runtime API request: `socat` to `socket` with the request on stdin. */
export function runtimeAction(place: RuntimeApiPlace, socket: string, line: string): Action {
  return {
    kind: "exec",
    where: place.where,
    argv: [place.socatBin, "-", `UNIX-CONNECT:${socket}`],
    stdin: `${line}\n`,
  };
}
