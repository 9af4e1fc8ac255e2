import { execFile } from "node:child_process";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const tsx = join(import.meta.dirname, "..", "node_modules", ".bin", "tsx");

describe("the demo, run as `pnpm demo` runs it", () => {
  let tmp: string;
  let lines: string[];

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), "backflip-demo-run-"));
    const { stdout } = await run(tsx, [join(import.meta.dirname, "demo.ts")], {
      env: { ...process.env, TMPDIR: tmp },
    });
    lines = stdout.split("\n");
  }, 120_000);
  afterAll(() => rm(tmp, { recursive: true, force: true }));

  it("says in its first line that the fleet is simulated", () => {
    expect(lines[0]).toMatch(/simulated fleet/);
    expect(lines.slice(0, 3).join("\n")).toContain("Nothing real is touched");
  });

  it("names no mock driver in its step titles or dry run", () => {
    expect(lines.join("\n")).not.toMatch(/mock-/);
    expect(lines.some((l) => l.endsWith("▶ Read the active color and its history (simulated HAProxy)"))).toBe(
      true,
    );
  });

  it("has one actor: the run is started by the plan's actor", () => {
    const text = lines.join("\n");
    expect(text).toContain("— by on-call:");
    expect(text).toMatch(/run \S+ started by on-call$/m);
    expect(text).not.toMatch(/by example/);
  });

  it("shows real time, not the simulated fleet's epoch", () => {
    const text = lines.join("\n");
    expect(text).not.toContain("20260101T000000Z");
    const year = String(new Date().getUTCFullYear());
    expect(text).toMatch(new RegExp(`run ${year}\\d{4}T\\d{6}Z-[0-9a-f]{6} started by on-call`));
    // a step with an injected 150 ms reload really takes that long on the real clock
    const install = lines.find((l) => l.includes("✓ Install the blue config"));
    expect(Number(/\((\d+) ms\)/.exec(install ?? "")?.[1])).toBeGreaterThanOrEqual(150);
  });

  it("prints the postmortem, ends saying the run succeeded, and leaves no temp folder behind", async () => {
    expect(lines).toContain("── postmortem ──────────────────────────────────────────");
    expect(lines.filter(Boolean).at(-1)).toBe("The rollback run succeeded: traffic is back on blue.");
    // tsx keeps its own cache (`tsx-<uid>`) there; the demo itself leaves nothing
    expect((await readdir(tmp)).filter((name) => !name.startsWith("tsx-"))).toEqual([]);
  });
});
