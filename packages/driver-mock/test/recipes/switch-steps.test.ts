import {
  createPlan,
  type PlanIntent,
  type RenderedConfig,
  renderAction,
  type TrafficState,
} from "@backflip/core";
import { planForIntent, SWITCH_STEP_IDS, trafficSwitchSteps, vezaTopology } from "@backflip/core/recipes";
import { stepContext } from "@backflip/core/testing/fakes";
import { describe, expect, it } from "vitest";
import { fleet, run, topology } from "./fleet-run";

const context = (runId: string, outputs: Record<string, unknown> = {}) => stepContext({ runId, outputs });

describe("trafficSwitchSteps", () => {
  it("is read state, render + validate, activate, record — with undo and reconcile where they mutate", () => {
    const f = fleet();
    const steps = trafficSwitchSteps(f.drivers.traffic, { color: "blue", actor: "alice" });
    expect(steps.map((s) => [s.id, s.kind, typeof s.undo, typeof s.reconcile])).toEqual([
      [SWITCH_STEP_IDS.readState, "check", "undefined", "undefined"],
      [SWITCH_STEP_IDS.render, "check", "undefined", "undefined"],
      [SWITCH_STEP_IDS.activate, "change", "function", "function"],
      [SWITCH_STEP_IDS.record, "change", "function", "function"],
    ]);
    expect(steps[0]!.describe().map(renderAction)).toContain(
      "incus exec veza-staging-haproxy -- cat -- /var/lib/veza/active-color",
    );
  });

  it("flips as a plan of its own and stamps the run id", async () => {
    const f = fleet();
    const steps = trafficSwitchSteps(f.drivers.traffic, { color: "blue", actor: "alice", runId: "switch-1" });
    const intent: PlanIntent = { path: "custom", env: "staging", actor: "alice", reason: "test" };
    const plan = createPlan(intent, steps)._unsafeUnwrap();
    const report = (await run(f, plan, { runId: "switch-1" })).result._unsafeUnwrap();
    const prior = report.steps[0]?.output as TrafficState;
    expect(prior.activeColor).toBe("green");
    expect(f.world.traffic()).toMatchObject({ liveColor: "blue", activeColor: "blue" });
    expect(f.world.traffic().history[0]?.runId).toBe("switch-1");
  });

  it("read-state refuses a request built for another run", async () => {
    const f = fleet();
    const [readState] = trafficSwitchSteps(f.drivers.traffic, {
      color: "blue",
      actor: "alice",
      runId: "other",
    });
    expect((await readState!.run(context("mine")))._unsafeUnwrapErr().reason).toBe("invalid_input");
  });

  it("activate: reconcile tells whether the rendered revision is live; undo restores the previous", async () => {
    const f = fleet();
    const [readState, render, activate, record] = trafficSwitchSteps(f.drivers.traffic, {
      color: "blue",
      actor: "alice",
    });
    const prior = (await readState!.run(context("r1")))._unsafeUnwrap() as TrafficState;
    const rendered = (await render!.run(context("r1")))._unsafeUnwrap() as RenderedConfig;
    const ctx = context("r1", { [SWITCH_STEP_IDS.readState]: prior, [SWITCH_STEP_IDS.render]: rendered });
    expect((await activate!.reconcile!(ctx))._unsafeUnwrap()).toEqual({ done: false });
    const out = (await activate!.run(ctx))._unsafeUnwrap();
    expect((await activate!.reconcile!(ctx))._unsafeUnwrap()).toMatchObject({ done: true });
    expect(f.world.traffic().liveColor).toBe("blue");
    expect((await record!.reconcile!(ctx))._unsafeUnwrap()).toEqual({ done: false });
    (await record!.run(ctx))._unsafeUnwrap();
    expect((await record!.reconcile!(ctx))._unsafeUnwrap()).toMatchObject({ done: true });
    (await record!.undo!(ctx, undefined as never))._unsafeUnwrap();
    (await activate!.undo!(ctx, out as never))._unsafeUnwrap();
    expect(f.world.traffic()).toMatchObject({ liveColor: "green", activeColor: "green" });
    expect(f.world.traffic().history).toEqual(prior.history);
  });

  it("an invalid rendered config fails render-validate before anything is installed", async () => {
    const f = fleet();
    f.faults.fail("traffic.validate", "failed", { message: "[ALERT] parsing haproxy.cfg" });
    const [, render] = trafficSwitchSteps(f.drivers.traffic, { color: "blue", actor: "alice" });
    const before = f.world.traffic();
    const e = (await render!.run(context("r2")))._unsafeUnwrapErr();
    expect(e.message).toContain("parsing haproxy.cfg");
    expect(f.world.traffic()).toEqual(before);
  });
});

describe("planForIntent", () => {
  it("refuses another environment, custom plans and bad params", () => {
    const f = fleet();
    const base = { actor: "alice", reason: "resume" };
    expect(
      planForIntent(topology, f.drivers, {
        ...base,
        path: "fast-flip",
        env: "prod",
        params: { target: "blue" },
      })._unsafeUnwrapErr().reason,
    ).toBe("invalid_input");
    expect(
      planForIntent(topology, f.drivers, { ...base, path: "custom", env: "staging" })._unsafeUnwrapErr()
        .reason,
    ).toBe("unsupported");
    expect(
      planForIntent(topology, f.drivers, {
        ...base,
        path: "fast-flip",
        env: "staging",
        params: { target: "red" },
      })._unsafeUnwrapErr().reason,
    ).toBe("invalid_input");
    expect(
      planForIntent(vezaTopology("staging"), f.drivers, {
        ...base,
        path: "redeploy",
        env: "staging",
        params: {},
      })._unsafeUnwrapErr().reason,
    ).toBe("invalid_input");
  });

  it("rebuilds the same step ids for every recipe path", async () => {
    const f = fleet();
    const base = { actor: "alice", reason: "resume", env: "staging" };
    const sha = "a".repeat(40);
    const cases: PlanIntent[] = [
      { ...base, path: "fast-flip", params: { target: "blue" } },
      { ...base, path: "redeploy", params: { sha, live: "green", idle: "blue" } },
      { ...base, path: "redeploy-pipeline", params: { sha } },
      {
        ...base,
        path: "rebuild-push",
        params: { sha, push: [{ component: "web", path: "/tmp/web.tar.zst" }] },
      },
      {
        ...base,
        path: "inverse-sql",
        params: { sha256: "0".repeat(64), lines: 1, sqlFile: "/tmp/inverse.sql" },
      },
      {
        ...base,
        path: "restore-snapshot",
        params: {
          container: "veza-staging-postgres",
          dataset: "rpool/incus/containers/veza-staging-postgres",
          snapshot: "pre-deploy-x",
          report: {
            target: {
              dataset: "rpool/incus/containers/veza-staging-postgres",
              name: "pre-deploy-x",
              createdAt: "2026-01-01T00:00:00.000Z",
            },
            destroyedSnapshots: [],
            sinceMs: 0,
            bytesWritten: null,
          },
        },
      },
      { ...base, path: "cleanup", params: { color: "blue", via: "native" } },
    ];
    for (const intent of cases) {
      const a = planForIntent(topology, f.drivers, intent)._unsafeUnwrap();
      const b = planForIntent(topology, f.drivers, intent)._unsafeUnwrap();
      expect(a.steps.map((s) => s.id)).toEqual(b.steps.map((s) => s.id));
      expect(a.steps.length).toBeGreaterThan(2);
    }
  });
});
