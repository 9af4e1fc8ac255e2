import { existsSync } from "node:fs";
import { backendEnv } from "@backflip/core/testing/fakes";
import { type Browser, chromium } from "playwright-core";

/** Debian's Chromium as `scripts/backends up chromium` recorded it, or `null` when it is not there. */
export function chromiumPath(): string | null {
  const bin = backendEnv("chromium")?.CHROMIUM_BIN;
  return bin && existsSync(bin) ? bin : null;
}

/** Launches the system's headless Chromium (no sandbox as root, where Chromium refuses it). */
export function launchChromium(executablePath: string): Promise<Browser> {
  const root = process.getuid?.() === 0;
  return chromium.launch({ executablePath, headless: true, args: root ? ["--no-sandbox"] : [] });
}
