import { spawnSync } from "node:child_process";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import {
  createPlan,
  defineStep,
  MemoryJournal,
  MemoryLeaseLock,
  type RunEvent,
  runPlan,
  stepError,
} from "@backflip/core";
import {
  DEPLOY_FAILED_ALERT,
  DeployMetrics,
  deployAlertStatus,
  postIncident,
  serveMetrics,
} from "@backflip/core/recipes";
import { backendEnv, skipUnlessBackend } from "@backflip/core/testing";
import { errAsync, okAsync } from "neverthrow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PrometheusAlertSource } from "../src/index";
import { freePort, startPrometheus, type TestPrometheus } from "./start-prometheus";

const RULES = fileURLToPath(new URL("../rules/veza-deploy.rules.yml", import.meta.url));
const env = backendEnv("prometheus");
const skip = skipUnlessBackend(
  env !== null && spawnSync(env.PROMETHEUS_BIN ?? "", ["--version"]).status === 0,
  "prometheus",
  "scripts/backends up prometheus",
);

const eventually = async (check: () => Promise<boolean>, seconds: number) => {
  for (let i = 0; i < seconds * 2; i++) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 500));
  }
  return false;
};

describe.skipIf(skip)("VezaDeployFailed on real Prometheus", () => {
  const metrics = new DeployMetrics();
  const lock = new MemoryLeaseLock();

  /** A real run on env staging whose one change succeeds or fails (and is undone); the metrics observe it. */
  async function rollbackRun(works: boolean): Promise<{ state: string; events: RunEvent[] }> {
    const change = defineStep({
      id: "switch",
      title: "Switch traffic",
      kind: "change",
      describe: () => [{ kind: "note", text: "switch" }],
      run: () => (works ? okAsync({}) : errAsync(stepError("switch", "failed", "the reload was refused"))),
      undo: () => okAsync(undefined),
    });
    const plan = createPlan({ path: "fast-flip", env: "staging", actor: "alice", reason: "test" }, [change]);
    const events: RunEvent[] = [];
    const result = await runPlan(plan._unsafeUnwrap(), {
      journal: new MemoryJournal(),
      lock,
      onEvent: (e) => {
        events.push(e);
        metrics.observe(e);
      },
    });
    return {
      state: result.match(
        (r) => r.state,
        (e) => e.report?.state ?? e.kind,
      ),
      events,
    };
  }
  let prometheus: TestPrometheus;
  let closeMetrics: () => Promise<void>;
  let alerts: PrometheusAlertSource;
  const query = { name: DEPLOY_FAILED_ALERT, labels: { env: "staging" } };

  beforeAll(async () => {
    const server = (await serveMetrics(() => metrics.render()))._unsafeUnwrap();
    closeMetrics = server.close;
    prometheus = await startPrometheus(env!.PROMETHEUS_BIN!, server.url, RULES);
    alerts = (await PrometheusAlertSource.create({ baseUrl: prometheus.url }))._unsafeUnwrap();
  });
  afterAll(async () => {
    await prometheus?.stop();
    await closeMetrics?.();
  });

  it("ships a rule promtool accepts", () => {
    const check = spawnSync(env!.PROMTOOL_BIN!, ["check", "rules", RULES], { encoding: "utf8" });
    expect(check.stdout + check.stderr).toContain("SUCCESS: 1 rules found");
    expect(check.status).toBe(0);
  });

  it("fires after a failed run and clears after a successful one; postIncident reports both", async () => {
    const failed = await rollbackRun(false);
    expect(failed.state).toBe("reverted");
    const fired = await eventually(async () => (await alerts.isFiring(query)).unwrapOr(false), 45);
    expect(fired).toBe(true);
    const samples = (await alerts.evaluate("veza_deploy_last_failure_timestamp"))._unsafeUnwrap();
    expect(samples.map((s) => s.metric.env)).toContain("staging");
    expect((await deployAlertStatus(alerts, "staging"))._unsafeUnwrap()).toEqual({ state: "firing" });
    const firingEntry = (await postIncident({ events: failed.events, alerts }))._unsafeUnwrap();
    expect(firingEntry.alert).toEqual({ state: "firing" });
    expect(firingEntry.markdown).toContain("The alert VezaDeployFailed still fires");

    const succeeded = await rollbackRun(true);
    expect(succeeded.state).toBe("succeeded");
    const cleared = await alerts.waitUntilCleared(query, { deadlineMs: 45_000, pollMs: 500 });
    expect(cleared.isOk()).toBe(true);
    expect((await alerts.isFiring(query))._unsafeUnwrap()).toBe(false);
    const clearedEntry = (
      await postIncident({ events: succeeded.events, alerts, alertWaitMs: 5000 })
    )._unsafeUnwrap();
    expect(clearedEntry.alert).toEqual({ state: "cleared" });
    expect(clearedEntry.markdown).toContain("The alert VezaDeployFailed has cleared");
  });

  it("rejects a bad expression with Prometheus's own message", async () => {
    const result = await alerts.evaluate("sum(");
    expect(result._unsafeUnwrapErr().reason).toBe("invalid_input");
  });
});

describe("PrometheusAlertSource without a server", () => {
  it("reports an unreachable Prometheus as unavailable, never as cleared", async () => {
    const port = await freePort();
    const alerts = (
      await PrometheusAlertSource.create({ baseUrl: `http://127.0.0.1:${port}` })
    )._unsafeUnwrap();
    const firing = await alerts.isFiring({ name: DEPLOY_FAILED_ALERT });
    expect(firing._unsafeUnwrapErr().reason).toBe("unavailable");
    const wait = await alerts.waitUntilCleared({ name: DEPLOY_FAILED_ALERT }, { deadlineMs: 1000 });
    expect(wait._unsafeUnwrapErr().reason).toBe("unavailable");
    const status = (await deployAlertStatus(alerts, "staging"))._unsafeUnwrap();
    expect(status.state).toBe("unknown");
    expect((await deployAlertStatus(undefined, "staging"))._unsafeUnwrap().state).toBe("unknown");
  });

  it("rejects bad options and queries before any request", async () => {
    expect((await PrometheusAlertSource.create({ baseUrl: "ftp://x" }))._unsafeUnwrapErr().reason).toBe(
      "invalid_input",
    );
    const alerts = (await PrometheusAlertSource.create({ baseUrl: "http://127.0.0.1:1" }))._unsafeUnwrap();
    expect((await alerts.isFiring({ name: "bad name!" }))._unsafeUnwrapErr().reason).toBe("invalid_input");
  });

  it("never puts credentials in errors", async () => {
    const canary = "canary-token-7f3a9b";
    const server = createServer((_req, res) => res.writeHead(401).end("unauthorized"));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const { port } = server.address() as AddressInfo;
    try {
      for (const auth of [{ bearer: canary }, { username: "ops", password: canary }]) {
        const alerts = (
          await PrometheusAlertSource.create({ baseUrl: `http://127.0.0.1:${port}`, auth })
        )._unsafeUnwrap();
        const error = (await alerts.isFiring({ name: DEPLOY_FAILED_ALERT }))._unsafeUnwrapErr();
        expect(error.reason).toBe("unauthorized");
        expect(JSON.stringify(error)).not.toContain(canary);
        expect(JSON.stringify(error)).not.toContain(Buffer.from(`ops:${canary}`).toString("base64"));
      }
    } finally {
      server.close();
    }
  });

  it("refuses credentials in the base URL without echoing them (issue 17 finding 8)", async () => {
    const canary = "canary-pass-91c2e7";
    const port = await freePort();
    for (const baseUrl of [`http://ops:${canary}@127.0.0.1:${port}`, `http://${canary}@127.0.0.1:${port}`]) {
      const error = (await PrometheusAlertSource.create({ baseUrl }))._unsafeUnwrapErr();
      expect(error.reason).toBe("invalid_input");
      expect(error.message).toContain("auth");
      expect(JSON.stringify(error)).not.toContain(canary);
    }
  });

  it("refuses auth that cannot be one header without echoing it (issue 17 property test)", async () => {
    const canary = "canary-auth-4d1e";
    const baseUrl = "http://127.0.0.1:1";
    for (const auth of [
      { bearer: `${canary}\r\nx-evil: 1` },
      { username: "ops:admin", password: canary },
      { username: "ops\n", password: canary },
      { username: "ops", password: `${canary}\n` },
    ]) {
      const error = (await PrometheusAlertSource.create({ baseUrl, auth }))._unsafeUnwrapErr();
      expect(error.reason).toBe("invalid_input");
      expect(error.message).toContain("auth");
      expect(JSON.stringify(error)).not.toContain(canary);
    }
    expect(
      (await PrometheusAlertSource.create({ baseUrl, auth: { username: "ops", password: canary } })).isOk(),
    ).toBe(true);
  });

  it("keeps the base URL's sub-path, with or without a trailing slash (issue 17 finding 8)", async () => {
    const seen: string[] = [];
    const server = createServer((req, res) => {
      seen.push(req.url ?? "");
      if (req.url?.startsWith("/prometheus/api/v1/alerts"))
        res.writeHead(200).end(JSON.stringify({ status: "success", data: { alerts: [] } }));
      else res.writeHead(404).end("not here");
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const { port } = server.address() as AddressInfo;
    try {
      for (const baseUrl of [`http://127.0.0.1:${port}/prometheus`, `http://127.0.0.1:${port}/prometheus/`]) {
        const alerts = (await PrometheusAlertSource.create({ baseUrl }))._unsafeUnwrap();
        expect((await alerts.alerts())._unsafeUnwrap()).toEqual([]);
      }
      expect(seen).toEqual(["/prometheus/api/v1/alerts", "/prometheus/api/v1/alerts"]);
    } finally {
      server.close();
    }
    const down = await freePort();
    const alerts = (
      await PrometheusAlertSource.create({ baseUrl: `http://127.0.0.1:${down}/prometheus` })
    )._unsafeUnwrap();
    expect((await alerts.alerts())._unsafeUnwrapErr().message).toContain(
      `Prometheus at http://127.0.0.1:${down}/prometheus/ cannot be reached`,
    );
  });
});
