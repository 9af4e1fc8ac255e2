import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Fleet } from "@backflip/driver-mock";
import type { Hono } from "hono";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { deployFailedWebhook } from "./alert-fixture";
import { RollbackDesk } from "./rollback-desk";
import { bearerMatches } from "./service-access";
import { serviceApp } from "./service-app";
import type { ServiceTarget } from "./service-target";
import { simulatedTarget } from "./simulated-target";

const TOKEN = "s3cr3t-alert-token-7f1c";

describe("bearerMatches", () => {
  it("accepts exactly `Bearer <token>` (any case of the scheme), nothing else", () => {
    expect(bearerMatches(`Bearer ${TOKEN}`, TOKEN)).toBe(true);
    expect(bearerMatches(`bearer ${TOKEN}`, TOKEN)).toBe(true);
    for (const h of [
      undefined,
      "",
      TOKEN,
      `Basic ${TOKEN}`,
      `Bearer ${TOKEN}x`,
      `Bearer ${TOKEN.slice(1)}`,
      "Bearer",
    ])
      expect(bearerMatches(h, TOKEN), String(h)).toBe(false);
  });
});

describe("the service behind its access options (simulated fleet)", () => {
  let dir: string;
  let fleet: Fleet;
  let target: ServiceTarget;
  let desk: RollbackDesk;
  let app: Hono;

  const alert = (headers: Record<string, string> = {}) =>
    app.request("/alerts", { method: "POST", headers, body: JSON.stringify(deployFailedWebhook("staging")) });
  const approve = (id: string, body: unknown, headers: Record<string, string> = {}) =>
    app.request(`/offers/${id}/approve`, { method: "POST", headers, body: JSON.stringify(body) });

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "backflip-service-access-"));
    ({ fleet, target } = simulatedTarget(dir));
    fleet.world.setColor("green", { healthy: false });
    desk = new RollbackDesk(target);
    app = serviceApp(desk, { alertToken: TOKEN, approverHeader: "x-forwarded-user" });
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it("refuses an alert without the bearer token or with a wrong one: 401, no offer, the token in no answer", async () => {
    const wrong: Record<string, string>[] = [{}, { authorization: "Bearer nope" }, { authorization: TOKEN }];
    for (const headers of wrong) {
      const res = await alert(headers);
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toMatch(/^Bearer /);
      const text = await res.text();
      expect(text).toContain("credentials_file");
      expect(text).not.toContain(TOKEN);
    }
    expect(desk.allOffers()).toEqual([]);
    const res = await alert({ authorization: `Bearer ${TOKEN}` });
    expect(res.status).toBe(201);
    expect(await res.text()).not.toContain(TOKEN);
  });

  it("takes the approver from the proxy's header, never the body; without it 401 and nothing runs", async () => {
    const created = await alert({ authorization: `Bearer ${TOKEN}` });
    const { id } = ((await created.json()) as { offer: { id: string } }).offer;

    const page = await (
      await app.request(`/offers/${id}`, { headers: { "x-forwarded-user": "alice" } })
    ).text();
    expect(page).toMatch(/<input name="approver" id="approver" value="alice" readonly>/);

    const anonymous = await approve(id, { approver: "mallory" });
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toMatchObject({ error: { reason: "unauthorized" } });
    expect((await target.journal.list())._unsafeUnwrap()).toEqual([]);
    expect(fleet.world.traffic().liveColor).toBe("green");

    const badName = await approve(id, {}, { "x-forwarded-user": "alice smith" });
    expect(badName.status).toBe(400);

    const approved = await approve(id, { approver: "mallory" }, { "x-forwarded-user": "alice" });
    expect(approved.status).toBe(202);
    const { runId } = (await approved.json()) as { runId: string; approver: string };
    expect(desk.offer(id)?.approval).toMatchObject({ approver: "alice", runId });
    await (await app.request(`/runs/${runId}/events`)).text(); // the run's events to its outcome
  });
});
