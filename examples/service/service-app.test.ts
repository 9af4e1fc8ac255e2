import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Fleet } from "@backflip/driver-mock";
import type { Hono } from "hono";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { deployFailedWebhook } from "./alert-fixture";
import { RollbackDesk } from "./rollback-desk";
import { serviceApp } from "./service-app";
import type { ServiceTarget } from "./service-target";
import { simulatedTarget } from "./simulated-target";

describe("the service's HTTP API on a simulated fleet", () => {
  let dir: string;
  let fleet: Fleet;
  let target: ServiceTarget;
  let desk: RollbackDesk;
  let app: Hono;

  const post = (path: string, body: unknown) =>
    app.request(path, { method: "POST", body: typeof body === "string" ? body : JSON.stringify(body) });
  const journaledRuns = async () => (await target.journal.list())._unsafeUnwrap();
  /** Posts the webhook and returns the new offer's id. */
  const offerId = async () => {
    const res = await post("/alerts", deployFailedWebhook("staging"));
    return ((await res.json()) as { offer: { id: string } }).offer.id;
  };
  /** Reads a run's server-sent events to the end (the outcome). */
  const events = async (runId: string) => {
    const res = await app.request(`/runs/${runId}/events`);
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    return (await res.text())
      .split("\n")
      .filter((l) => l.startsWith("data: "))
      .map((l) => JSON.parse(l.slice(6)) as { kind: string; type?: string; state?: string; stepId?: string });
  };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "backflip-service-"));
    ({ fleet, target } = simulatedTarget(dir));
    fleet.world.setColor("green", { healthy: false });
    desk = new RollbackDesk(target);
    app = serviceApp(desk);
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it("answers 400 to a body that is not JSON or not Alertmanager's v4 payload, 413 to one over 1 MiB, and offers nothing", async () => {
    const notJson = await post("/alerts", "{nope");
    expect(notJson.status).toBe(400);
    expect(await notJson.json()).toMatchObject({
      error: { reason: "invalid_input", message: "the body is not JSON" },
    });

    const v3 = await post("/alerts", { ...deployFailedWebhook("staging"), version: "3" });
    expect(v3.status).toBe(400);
    expect(((await v3.json()) as { error: { message: string } }).error.message).toMatch(/^version: /);

    const { alerts, ...noAlerts } = deployFailedWebhook("staging");
    const missing = await post("/alerts", noAlerts);
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as { error: { message: string } }).error.message).toMatch(/alerts: /);
    expect(alerts).toHaveLength(1);

    const huge = await post("/alerts", { ...deployFailedWebhook("staging"), padding: "x".repeat(2 << 20) });
    expect(huge.status).toBe(413);

    expect(desk.allOffers()).toEqual([]);
    expect(fleet.world.traffic().liveColor).toBe("green");
  });

  it("ignores other alerts, resolved ones and other environments with 202 and the reason", async () => {
    for (const [body, seen] of [
      [deployFailedWebhook("staging", { alertname: "HighLatency" }), "HighLatency{env=staging} firing"],
      [deployFailedWebhook("staging", { status: "resolved" }), "VezaDeployFailed{env=staging} resolved"],
      [deployFailedWebhook("prod"), "VezaDeployFailed{env=prod} firing"],
    ] as const) {
      const res = await post("/alerts", body);
      expect(res.status).toBe(202);
      expect(await res.json()).toEqual({
        ignored: `no firing VezaDeployFailed alert for env staging (got: ${seen})`,
      });
    }
    expect(desk.allOffers()).toEqual([]);
  });

  it("offers decide()'s plan for a firing VezaDeployFailed: the dry run at a URL, once per alert", async () => {
    const res = await post("/alerts", deployFailedWebhook("staging"));
    expect(res.status).toBe(201);
    const { offer } = (await res.json()) as {
      offer: {
        id: string;
        decision: { recipe: string; target: { color: string } };
        plan: { steps: unknown[] };
      };
    };
    expect(res.headers.get("location")).toBe(`/offers/${offer.id}`);
    expect(offer.decision).toMatchObject({ recipe: "fast-flip", target: { color: "blue" } });
    expect(offer.plan.steps.length).toBeGreaterThan(3);

    const text = await (await app.request(`/offers/${offer.id}/plan.txt`)).text();
    expect(text).toContain("fast-flip");
    expect(text).toMatch(/\$ incus exec veza-staging-haproxy/);

    // Alertmanager re-sends the firing group: the same alert gets the same offer
    const again = await post("/alerts", deployFailedWebhook("staging"));
    expect(again.status).toBe(200);
    expect(((await again.json()) as { offer: { id: string } }).offer.id).toBe(offer.id);
    expect(await journaledRuns()).toEqual([]);
    expect(fleet.world.traffic().liveColor).toBe("green");
  });

  it("refuses a bad approver name with 400 and an unknown offer with 404, running nothing", async () => {
    const id = await offerId();
    for (const approver of ["", "bad name", 42, "-x", "a".repeat(65)]) {
      const res = await post(`/offers/${id}/approve`, { approver });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/^approver: /);
    }
    expect((await post(`/offers/${id}/approve`, "alice")).status).toBe(400);
    expect((await post("/offers/000000000000/approve", { approver: "alice" })).status).toBe(404);
    expect(await journaledRuns()).toEqual([]);
    expect(fleet.world.traffic().liveColor).toBe("green");
  });

  it("runs the approved plan under the lease as the approver, streams its events, and lists it from the journal", async () => {
    const id = await offerId();
    const res = await post(`/offers/${id}/approve`, { approver: "alice" });
    expect(res.status).toBe(202);
    const {
      runId,
      approver,
      events: url,
    } = (await res.json()) as { runId: string; approver: string; events: string };
    expect(approver).toBe("alice");
    expect(url).toBe(`/runs/${runId}/events`);

    const items = await events(runId);
    expect(items[0]).toMatchObject({ kind: "event", type: "plan.started" });
    expect(items.at(-1)).toEqual({
      kind: "outcome",
      ok: true,
      state: "succeeded",
      message: "the run succeeded",
    });
    expect(items.filter((i) => i.type === "step.succeeded").map((i) => i.stepId)).toContain("activate");
    expect(fleet.world.traffic().liveColor).toBe("blue");

    const report = (await desk.report(runId))._unsafeUnwrap();
    expect(report).toMatchObject({
      state: "succeeded",
      owner: "alice",
      intent: { actor: "alice", path: "fast-flip" },
    });
    const again = await post(`/offers/${id}/approve`, { approver: "bob" });
    expect(again.status).toBe(409);
    expect(((await again.json()) as { error: { message: string } }).error.message).toBe(
      `already approved by alice: run ${runId}`,
    );

    // a past run replays from the journal, to its outcome
    const fresh = serviceApp(new RollbackDesk(target));
    const replay = await (await fresh.request(`/runs/${runId}/events`)).text();
    expect(replay).toContain('"type":"plan.finished"');
    expect(replay).toContain('"kind":"outcome","ok":true,"state":"succeeded"');
    const past = await (await fresh.request("/fragments/past-runs")).text();
    expect(past).toMatch(
      new RegExp(`data-run-id="${runId}"[\\s\\S]*<td class="state">succeeded</td><td>alice</td>`),
    );
  });

  it("answers 409 naming the holder when another run holds the environment's lease, and changes nothing", async () => {
    const id = await offerId();
    const lease = (
      await target.lock.acquire("staging", { owner: "bob@laptop", ttlMs: 60_000 })
    )._unsafeUnwrap();
    const res = await post(`/offers/${id}/approve`, { approver: "alice" });
    expect(res.status).toBe(409);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain("bob@laptop");
    expect(await journaledRuns()).toEqual([]);
    expect(fleet.world.traffic().liveColor).toBe("green");
    // the approval was not spent: once the lease is free it runs
    await target.lock.release(lease);
    expect((await post(`/offers/${id}/approve`, { approver: "alice" })).status).toBe(202);
  });

  it("shows a run that failed as reverted, with the runbook's next move, traffic back where it was", async () => {
    fleet.world.setColor("blue", { healthy: false })._unsafeUnwrap();
    const id = await offerId();
    const res = await post(`/offers/${id}/approve`, { approver: "alice" });
    expect(res.status).toBe(202);
    const items = await events(((await res.json()) as { runId: string }).runId);
    expect(items.filter((i) => i.type === "step.undone").map((i) => i.stepId)).toContain("activate");
    expect(items.at(-1)).toMatchObject({
      kind: "outcome",
      ok: false,
      state: "reverted",
      hint: expect.stringMatching(/./),
    });
    expect(fleet.world.traffic().liveColor).toBe("green");
  });

  it("offers Path 2 (redeploy) when the prior color's containers are gone, and no plan for Path 3", async () => {
    fleet.world.setColor("blue", { running: false })._unsafeUnwrap();
    const redeploy = (await (await post("/alerts", deployFailedWebhook("staging"))).json()) as {
      offer: { decision: { recipe: string }; plan: { intent: { path: string } } };
    };
    expect(redeploy.offer.decision.recipe).toBe("redeploy");
    expect(redeploy.offer.plan.intent.path).toBe("redeploy");

    const prior = fleet.world.traffic().history[1]?.sha ?? "";
    fleet.world.purgeRelease(prior)._unsafeUnwrap();
    const res = await post("/alerts", deployFailedWebhook("staging", { fingerprint: "00000000000000bb" }));
    const { offer } = (await res.json()) as { offer: { id: string; plan: null; why: string } };
    expect(offer.plan).toBeNull();
    expect(offer.why).toMatch(/^Path 3 \(rebuild-push\) needs an operator at the CLI/);
    const approve = await post(`/offers/${offer.id}/approve`, { approver: "alice" });
    expect(approve.status).toBe(409);
    expect(((await approve.json()) as { error: { message: string } }).error.message).toMatch(
      /^nothing to run: /,
    );
    expect(await journaledRuns()).toEqual([]);
  });

  it("answers 404 for a run the journal does not have and 400 for a run id that is not one", async () => {
    expect((await app.request("/runs/20260101T000000Z-abcdef/events")).status).toBe(404);
    expect((await app.request("/runs/..%2Fetc/events")).status).toBe(400);
    expect((await app.request("/offers/nope")).status).toBe(404);
  });
});
