import type { Shell } from "../ports/shell";
import type { ExecLocation } from "./action";

/** Where a shell's commands run; a shell that does not say is an `other` location (a dry run shows it as a comment). */
export function locationOf(shell: Shell): ExecLocation {
  return shell.location ?? { kind: "other", name: shell.name };
}
