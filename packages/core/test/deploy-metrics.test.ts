import { mkdtemp, readdir, readFile } from "node:fs/promises";
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
