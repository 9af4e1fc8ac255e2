import { readFileSync } from "node:fs";
import { join } from "node:path";

/** Where `scripts/backends` writes each backend's facts. */
export function backendsDir(): string {
  return process.env.BACKFLIP_BACKENDS_DIR ?? "/var/tmp/backflip-backends";
}

/**
 * The facts `scripts/backends up NAME` wrote for a backend (ports, paths, binaries),
 * or `null` when that backend was never brought up on this machine.
 */
export function backendEnv(name: string): Record<string, string> | null {
  let text: string;
  try {
    text = readFileSync(join(backendsDir(), `${name}.env`), "utf8");
  } catch {
    return null;
  }
  const env: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const eq = line.indexOf("=");
    if (eq > 0) env[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return env;
}
