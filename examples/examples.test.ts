import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { main as cleanup } from "./cleanup";
import { main as decideExample } from "./decide";
import { main as demo } from "./demo";
import { main as inverseSql } from "./emergency-inverse-sql";
import { main as rebuildPush } from "./emergency-rebuild-push";
import { main as restoreSnapshot } from "./emergency-restore-snapshot";
import { main as fastFlip } from "./fast-flip";
import { main as redeploy } from "./redeploy";
import { main as redeployViaPipeline } from "./redeploy-via-pipeline";

const examples = {
  "fast-flip": fastFlip,
  redeploy,
  "redeploy-via-pipeline": redeployViaPipeline,
  "emergency-rebuild-push": rebuildPush,
  "emergency-inverse-sql": inverseSql,
  "emergency-restore-snapshot": restoreSnapshot,
  cleanup,
  decide: decideExample,
};

describe("examples", () => {
  for (const [name, main] of Object.entries(examples)) {
    it(`${name}: prints the dry run, live progress, and a report that ends well`, async () => {
      const lines: string[] = [];
      expect(await main((l) => lines.push(l))).toBe(true);
      const text = lines.join("\n");
      expect(text).toContain("── dry run");
      expect(text).toMatch(/\[\s*\d+\.\d\ds\]\s+▶ /);
      expect(text).toContain("── report");
      expect(text).toContain("The run succeeded.");
    });
  }

  it("demo: decide() picks Path 1, the flip runs, the postmortem is written, it ends saying the run succeeded", async () => {
    const dir = await mkdtemp(join(tmpdir(), "backflip-demo-test-"));
    const lines: string[] = [];
    expect(await demo((l) => lines.push(l), dir)).toBe(true);
    expect(lines.join("\n")).toContain("decide(): rollback, Path 1");
    expect(lines.at(-1)).toBe("The rollback run succeeded: traffic is back on blue.");
    const postmortem = await readFile(join(dir, "POSTMORTEMS.md"), "utf8");
    expect(postmortem).toContain("Path 1 — HAProxy fast-flip");
    expect(postmortem).toContain("green → blue");
  });
});
