import { chmod, mkdtemp, readFile, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { main } from "./main";

/** Runs `rollback --mode fast` in-process on the simulated fleet in `dir`, writing metrics to `file`. */
async function flip(dir: string, file: string): Promise<{ code: number; printed: string }> {
  const lines: string[] = [];
  const code = await main(
    [
      "rollback",
      "--mode",
      "fast",
      "--reason",
      "green 500s",
      "--actor",
      "tester",
      "--state-dir",
      dir,
      "--metrics-file",
      file,
    ],
    (l) => lines.push(l),
    (l) => lines.push(l),
  );
  return { code, printed: lines.join("\n") };
}

describe("rollback --metrics-file (issue 17 finding 7)", () => {
  it("leaves a file that is not its textfile as it was, content and mode, and says so", async () => {
    const dir = await mkdtemp(join(tmpdir(), "rollback-cli-metrics-"));
    const config = join(dir, "app.conf");
    const content = "listen 8080\nsecret = Canary-0c4e\n";
    await writeFile(config, content);
    await chmod(config, 0o640);
    const ran = await flip(join(dir, "state"), config);
    expect(ran.code).toBe(0);
    expect(ran.printed).toContain("warning: metrics not written");
    expect(ran.printed).toContain("is not a Backflip metrics textfile");
    expect(ran.printed).not.toContain("Canary-0c4e");
    expect(await readFile(config, "utf8")).toBe(content);
    expect((await stat(config)).mode & 0o7777).toBe(0o640);
  });

  it("creates its textfile, then updates it run after run", async () => {
    const dir = await mkdtemp(join(tmpdir(), "rollback-cli-metrics-"));
    const file = join(dir, "deploy.prom");
    expect((await flip(join(dir, "state"), file)).code).toBe(0);
    expect((await stat(file)).mode & 0o7777).toBe(0o644);
    expect(await readFile(file, "utf8")).toContain(
      'backflip_rollback_runs_total{env="staging",path="fast-flip",state="succeeded"} 1',
    );
    await flip(join(dir, "state"), file);
    expect(await readFile(file, "utf8")).toMatch(
      /backflip_rollback_runs_total\{env="staging",path="fast-flip",state="\w+"\} 1/,
    );
    expect(
      (await readFile(file, "utf8")).split("\n").filter((l) => l.startsWith("backflip_rollback_runs_total")),
    ).toHaveLength(2);
  });
});
