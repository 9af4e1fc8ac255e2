import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";
import { type HostileEnv, markerPath } from "./hostile-strings";

/** The test file's sandbox: hostile absolute paths point into it, and relative ones resolve inside it. */
export interface Sandbox extends HostileEnv {
  /** The directory the file's tests run in (`process.cwd()`), three levels under `root`. */
  readonly cwd: string;
  /** A file no call may change: `<root>/victim`. */
  readonly victim: string;
  /** `<root>/<name>`; throws when called before `beforeAll` made the sandbox (at collection time). */
  path(name: string): string;
}

/** What the victim file holds (and must still hold). */
export const VICTIM_CONTENT = "not the SDK's: keep me\n";

/**
 * Registers `beforeAll`/`afterAll` that make a sandbox, move the process into it (so a
 * relative `../../x` stays inside it: the tests may run as root) and remove it after.
 * The returned object is filled in `beforeAll`.
 */
export function useSandbox(): Sandbox {
  const box = {
    root: "",
    cwd: "",
    victim: "",
    marker: markerPath(),
    path(name: string): string {
      if (!box.root) throw new Error("the sandbox is made in beforeAll: call box.path inside a test");
      return join(box.root, name);
    },
  };
  let before = "";
  beforeAll(() => {
    box.root = mkdtempSync(join(tmpdir(), "backflip-property-"));
    box.cwd = join(box.root, "w", "o", "r", "k");
    mkdirSync(box.cwd, { recursive: true });
    box.victim = join(box.root, "victim");
    writeFileSync(box.victim, VICTIM_CONTENT, { mode: 0o640 });
    before = process.cwd();
    process.chdir(box.cwd);
  });
  afterAll(() => {
    process.chdir(before);
    rmSync(box.root, { recursive: true, force: true });
    rmSync(box.marker, { force: true });
  });
  return box;
}
