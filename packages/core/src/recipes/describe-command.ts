import { quoteForShell } from "../shell/quote-for-shell";

/** Renders an argv run inside a container the way an operator would type it: `incus exec NAME -- argv…`. */
export function incusExec(container: string, argv: readonly string[]): string {
  return `incus exec ${container} -- ${argv.map(quoteForShell).join(" ")}`;
}
