import { execFileSync } from "node:child_process";
import { chmod, mkdir, mkdtemp, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { RunEvent } from "../src/index";
import { DeployMetrics, deployOutcome, serveMetrics } from "../src/recipes/index";

const base = { runId: "r1", elapsedMs: 0 };
const started = (runId: string, env: string): RunEvent => ({
  ...base,
  runId,
  at: "2026-01-01T00:00:00.000Z",
  type: "plan.started",
  intent: { path: "fast-flip", env, actor: "alice", reason: "bad deploy" },
  owner: "alice",
  steps: [],
});
const finished = (runId: string, state: "succeeded" | "reverted" | "refused", at: string): RunEvent => ({
  ...base,
  runId,
  at,
  type: "plan.finished",
  state,
  durationMs: 1500,
});

describe("DeployMetrics", () => {
  it("maps run states to deploy outcomes; a refused run changes nothing", () => {
    expect(deployOutcome("succeeded")).toBe("success");
    expect(deployOutcome("reverted")).toBe("failure");
    expect(deployOutcome("revert_failed")).toBe("failure");
    expect(deployOutcome("aborted")).toBe("failure");
    expect(deployOutcome("refused")).toBeNull();
  });

  it("records run outcomes from events, per env", () => {
    const m = new DeployMetrics();
    m.observe(started("a", "staging"));
    m.observe(finished("a", "reverted", "2026-01-01T00:00:10.000Z"));
    m.observe(started("b", "prod"));
    m.observe(finished("b", "succeeded", "2026-01-01T00:00:20.000Z"));
    m.observe(started("c", "prod"));
    m.observe(finished("c", "refused", "2026-01-01T00:00:30.000Z"));
    expect(m.lastDeploy("staging")).toEqual({ failure: Date.parse("2026-01-01T00:00:10Z") / 1000 });
    expect(m.lastDeploy("prod")).toEqual({ success: Date.parse("2026-01-01T00:00:20Z") / 1000 });
    const text = m.render();
    expect(text).toContain('veza_deploy_last_failure_timestamp{env="staging"} 1767225610');
    expect(text).toContain('veza_deploy_last_success_timestamp{env="prod"} 1767225620');
    expect(text).toContain('backflip_rollback_runs_total{env="prod",path="fast-flip",state="refused"} 1');
    expect(text).toContain('backflip_rollback_last_duration_seconds{env="prod",path="fast-flip"} 1.5');
  });

  it("round-trips through the textfile, written atomically", async () => {
    const dir = await mkdtemp(join(tmpdir(), "bf-metrics-"));
    const file = join(dir, "backflip.prom");
    const m = new DeployMetrics();
    m.recordDeploy("staging", "success", new Date("2026-01-01T00:00:00Z"));
    m.recordRun({
      env: "staging",
      path: "redeploy",
      state: "reverted",
      durationMs: 2000,
      finishedAt: new Date("2026-01-02T00:00:00Z"),
    });
    (await m.writeTextfile(file))._unsafeUnwrap();
    expect(await readdir(dir)).toEqual(["backflip.prom"]);
    const again = (await DeployMetrics.fromTextfile(file))._unsafeUnwrap();
    expect(again.render()).toBe(await readFile(file, "utf8"));
    const missing = (await DeployMetrics.fromTextfile(join(dir, "none.prom")))._unsafeUnwrap();
    expect(missing.lastDeploy("staging")).toEqual({});
  });

  it("never replaces or parses a file it did not write: a config, a directory (issue 17 finding 7)", async () => {
    const dir = await mkdtemp(join(tmpdir(), "bf-metrics-"));
    const config = join(dir, "app.conf");
    const content = "# app config\nlisten 8080\npassword = hunter2\n";
    await writeFile(config, content, { mode: 0o640 });
    await chmod(config, 0o640);
    const m = new DeployMetrics();
    m.recordDeploy("staging", "success", new Date("2026-01-01T00:00:00Z"));
    const refused = (await m.writeTextfile(config))._unsafeUnwrapErr();
    expect(refused.reason).toBe("conflict");
    expect(refused.message).toContain("is not a Backflip metrics textfile");
    expect(refused.message).not.toContain("hunter2");
    expect(await readFile(config, "utf8")).toBe(content);
    expect((await stat(config)).mode & 0o7777).toBe(0o640);
    expect((await DeployMetrics.fromTextfile(config))._unsafeUnwrapErr().reason).toBe("conflict");

    await mkdir(join(dir, "a-dir"));
    expect((await m.writeTextfile(join(dir, "a-dir")))._unsafeUnwrapErr().message).toContain(
      "it is a directory",
    );
    execFileSync("mkfifo", [join(dir, "a-fifo")]);
    expect((await m.writeTextfile(join(dir, "a-fifo")))._unsafeUnwrapErr().message).toContain("it is a FIFO");
    expect((await readdir(dir)).sort()).toEqual(["a-dir", "a-fifo", "app.conf"]);
    expect((await stat(join(dir, "a-fifo"))).isFIFO()).toBe(true);
  });

  it("creates a new textfile 0644; replaces its own (and an earlier version's) keeping the mode", async () => {
    const dir = await mkdtemp(join(tmpdir(), "bf-metrics-"));
    const file = join(dir, "backflip.prom");
    const m = new DeployMetrics();
    m.recordDeploy("staging", "failure", new Date("2026-01-01T00:00:00Z"));
    (await m.writeTextfile(file))._unsafeUnwrap();
    expect((await stat(file)).mode & 0o7777).toBe(0o644);
    expect((await readFile(file, "utf8")).split("\n")[0]).toBe(
      "# Backflip DeployMetrics textfile: rewritten after every rollback run, do not edit",
    );
    await chmod(file, 0o640);
    m.recordDeploy("staging", "success", new Date("2026-01-02T00:00:00Z"));
    (await m.writeTextfile(file))._unsafeUnwrap();
    expect(await readFile(file, "utf8")).toContain('veza_deploy_last_success_timestamp{env="staging"}');
    expect((await stat(file)).mode & 0o7777).toBe(0o640);

    const earlier = join(dir, "earlier.prom");
    await writeFile(
      earlier,
      '# HELP veza_deploy_last_success_timestamp Unix time…\nveza_deploy_last_success_timestamp{env="prod"} 5\n',
    );
    const read = (await DeployMetrics.fromTextfile(earlier))._unsafeUnwrap();
    expect(read.lastDeploy("prod")).toEqual({ success: 5 });
    (await read.writeTextfile(earlier))._unsafeUnwrap();
    expect(await readFile(earlier, "utf8")).toContain('veza_deploy_last_success_timestamp{env="prod"} 5');
    expect((await readdir(dir)).sort()).toEqual(["backflip.prom", "earlier.prom"]);
  });

  it("a write into a missing directory is an error value", async () => {
    const result = await new DeployMetrics().writeTextfile("/nonexistent-dir/backflip.prom");
    expect(result._unsafeUnwrapErr().reason).toBe("not_found");
  });

  it("serves /metrics for a scrape on loopback", async () => {
    const m = new DeployMetrics();
    m.recordDeploy("staging", "failure", new Date("2026-01-01T00:00:00Z"));
    const server = (await serveMetrics(() => m.render()))._unsafeUnwrap();
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
      const res = await fetch(server.url);
      expect(res.headers.get("content-type")).toContain("text/plain");
      expect(await res.text()).toContain('veza_deploy_last_failure_timestamp{env="staging"}');
      expect((await fetch(server.url.replace("/metrics", "/other"))).status).toBe(404);
    } finally {
      await server.close();
    }
  });
});
