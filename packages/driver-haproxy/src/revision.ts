/** The map key that carries the revision in runtime-map mode. */
export const MAP_REVISION_KEY = "backflip.revision";

const CONFIG_STAMP = /^\s*set-var\s+proc\.cfg_rev\s+str\(([^)\s]*)\)\s*$/m;

/** The revision a `haproxy.cfg` stamps (`set-var proc.cfg_rev str(…)` in `global`), or `null`. */
export function configRevision(content: string): string | null {
  return CONFIG_STAMP.exec(content)?.[1] ?? null;
}
