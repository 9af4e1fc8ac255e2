import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { EXIT } from "../src/exit-codes";
import { backflipIn, stateDir } from "./test-support";

/** The id of the newest run in `dir`'s journal. */
async function newestRun(dir: string): Promise<string> {
  const runs = await backflipIn(dir, ["runs", "--json"]);
  return (JSON.parse(runs.stdout.split("\n")[0] ?? "") as { runId: string }).runId;
}

describe("backflip postmortem <run-id>", () => {
  it("renders a succeeded Path 1 run: why, who, each step, what changed, the cleanup left to do", async () => {
    const dir = await stateDir();
    await backflipIn(dir, [
      "rollback",
      "--mode",
      "fast",
      "--reason",
      "green 500s since the deploy",
      "--actor",
      "alice",
    ]);
    const runId = await newestRun(dir);
    const pm = await backflipIn(dir, ["postmortem", runId]);
    expect(pm.code).toBe(EXIT.ok);
    expect(pm.stdout).toMatch(/^## \d{4}-\d\d-\d\d — staging: Path 1 — HAProxy fast-flip, succeeded$/m);
    expect(pm.stdout).toContain("green 500s since the deploy");
    expect(pm.stdout).toMatch(/\*\*Run:\*\* `[^`]+` by alice via backflip .*; asked by alice/);
    expect(pm.stdout).toMatch(
      /^\| \d \| Install the blue config, reload, confirm it is live \| change \| succeeded \| \d+ ms \|$/m,
    );
    expect(pm.stdout).toMatch(/### What changed\n\ngreen \([0-9a-f]{12}\) → blue \([0-9a-f]{12}\)/);
    expect(pm.stdout).toMatch(/- \[ \] .*Veza cleanup workflow with color=green/);
    expect(pm.stdout).toContain("- [ ] File the fix as a normal PR; do NOT skip CI.");
    expect(pm.stderr).toContain(`backflip postmortem ${runId} --file docs/POSTMORTEMS.md`);
  });

  it("--json prints one object with the run, its steps and the change", async () => {
    const dir = await stateDir();
    await backflipIn(dir, ["rollback", "--mode", "fast", "--reason", "green 500s"]);
    const runId = await newestRun(dir);
    const pm = await backflipIn(dir, ["postmortem", runId, "--json"]);
    expect(pm.code).toBe(EXIT.ok);
    const lines = pm.stdout.split("\n");
    expect(lines).toHaveLength(1);
    const record = JSON.parse(lines[0] ?? "");
    expect(record).toMatchObject({
      type: "postmortem",
      runId,
      env: "staging",
      path: "fast-flip",
      state: "succeeded",
      finished: true,
      reason: "green 500s",
      change: { before: { color: "green" }, after: { color: "blue" } },
    });
    expect(record.steps.map((s: { outcome: string }) => s.outcome)).not.toContain("pending");
    expect(record.leftovers.map((c: { name: string }) => c.name)).toContain("veza-staging-web-green");
    expect(record.markdown).toContain("### Follow-ups");
  });

  it("a reverted run left nothing changed", async () => {
    const dir = await stateDir();
    await backflipIn(dir, ["rollback", "--mode", "fast", "--reason", "green 500s"]);
    // flipping back onto the bad green fails its verification and is reverted
    expect((await backflipIn(dir, ["rollback", "--mode", "fast", "--reason", "oops"])).code).toBe(
      EXIT.failed,
    );
    const pm = await backflipIn(dir, ["postmortem", await newestRun(dir), "--json"]);
    expect(JSON.parse(pm.stdout)).toMatchObject({ state: "reverted", change: { after: "unchanged" } });
  });

  it("--file appends each entry to the postmortems file", async () => {
    const dir = await stateDir();
    await backflipIn(dir, ["rollback", "--mode", "fast", "--reason", "green 500s"]);
    const runId = await newestRun(dir);
    const file = join(dir, "docs", "POSTMORTEMS.md");
    for (const why of ["nil map in the new handler", "second look"])
      expect((await backflipIn(dir, ["postmortem", runId, "--why-failed", why, "--file", file])).code).toBe(
        EXIT.ok,
      );
    const text = await readFile(file, "utf8");
    expect(text.match(/^## .*fast-flip, succeeded$/gm)).toHaveLength(2);
    expect(text).toContain("nil map in the new handler");
  });

  it("a contradicting --env: exit 2 naming the run's environment; the journal's own is the default", async () => {
    const dir = await stateDir();
    await backflipIn(dir, ["rollback", "--mode", "fast", "--reason", "green 500s"]);
    const runId = await newestRun(dir);
    const wrong = await backflipIn(dir, ["postmortem", runId, "--env", "prod"]);
    expect(wrong.code).toBe(EXIT.usage);
    expect(wrong.stderr).toContain(`error: run ${runId} is on env staging, not prod`);
    expect(wrong.stderr).toContain("or pass --env staging");
    expect((await backflipIn(dir, ["postmortem", runId, "--env", "staging"])).code).toBe(EXIT.ok);
  });

  it("an unknown run id: exit 2, naming the id and `backflip runs`", async () => {
    const pm = await backflipIn(await stateDir(), ["postmortem", "20261126T053300Z-3fa9c1"]);
    expect(pm.code).toBe(EXIT.usage);
    expect(pm.stderr).toMatch(/^error: no run 20261126T053300Z-3fa9c1 in the journal/m);
    expect(pm.stderr).toMatch(/^next: list the runs: backflip runs$/m);
    const bad = await backflipIn(await stateDir(), ["postmortem", "../etc/passwd"]);
    expect(bad.code).toBe(EXIT.usage);
    expect(bad.stderr).toMatch(/^error: <run-id>: /m);
  });

  it("never prints a secret: an inverse SQL that sets a password is named by its digest only", async () => {
    const dir = await stateDir();
    const sql = join(dir, "inverse.sql");
    await writeFile(sql, "ALTER ROLE app PASSWORD 'hunter2-s3cret';\n");
    await backflipIn(dir, ["inverse-sql", "--file", sql, "--reason", "migration 42 dropped users.email"]);
    const runId = await newestRun(dir);
    for (const json of [[], ["--json"]]) {
      const pm = await backflipIn(dir, ["postmortem", runId, ...json]);
      expect(pm.code).toBe(EXIT.ok);
      expect(pm.stdout).toContain("inverse SQL");
      expect(`${pm.stdout}\n${pm.stderr}`).not.toContain("hunter2");
    }
  });
});
