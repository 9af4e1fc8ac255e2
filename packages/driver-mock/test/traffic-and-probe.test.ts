import { colorContainers } from "@backflip/core";
import { vezaHaproxy, vezaTopology } from "@backflip/core/recipes";
import { describe, expect, it } from "vitest";
import { createFleet, fleetSha } from "../src/index";

const topology = vezaTopology("staging");
const blueSha = fleetSha("blue");
const flipToBlue = { color: "blue", sha: blueSha, runId: "run-1", actor: "alice" };

describe("traffic and the public probe, one world", () => {
  it("a full flip moves what the public URL serves; the state file and history follow the record", async () => {
    const fleet = createFleet();
    const { traffic, probe } = fleet.drivers;
    const config = (await traffic.render(flipToBlue))._unsafeUnwrap();
    expect(config.revision).toBe(`blue:${blueSha}:run-1`);
    (await traffic.validate(config))._unsafeUnwrap();
    expect((await traffic.install(config))._unsafeUnwrap().previousRevision).toBe(
      `green:${fleetSha("green")}:seed`,
    );
    expect(fleet.world.traffic().liveColor).toBe("green");
    (await traffic.reload())._unsafeUnwrap();
    (await traffic.confirm(config.revision))._unsafeUnwrap();
    expect(fleet.world.traffic()).toMatchObject({
      liveColor: "blue",
      liveRevision: config.revision,
      activeColor: "green",
    });
    const state = (await traffic.record(flipToBlue))._unsafeUnwrap();
    expect(state.activeColor).toBe("blue");
    expect(state.history[0]).toMatchObject({
      color: "blue",
      sha: blueSha,
      runId: "run-1",
      actor: "alice",
      at: fleet.clock.now().toISOString(),
    });
    const answer = (await probe.check({ url: fleet.publicHealthUrl }))._unsafeUnwrap();
    expect(JSON.parse(answer.body)).toMatchObject({ status: "ok", color: "blue", sha: blueSha });
  });

  it("the public URL fails while a live container is unhealthy, stopped or on a bad release", async () => {
    const fleet = createFleet();
    const { probe } = fleet.drivers;
    const check = () => probe.check({ url: fleet.publicHealthUrl, attempts: 2, intervalMs: 1000 });
    fleet.world.setHealthy("veza-staging-stream-green", false)._unsafeUnwrap();
    const unhealthy = (await check())._unsafeUnwrapErr();
    expect(unhealthy.reason).toBe("failed");
    expect(unhealthy.message).toContain("503");
    expect(unhealthy.message).toContain("veza-staging-stream-green");
    expect(unhealthy.details).toMatchObject({ attempts: 2, status: 503 });
    fleet.world.setHealthy("veza-staging-stream-green", true)._unsafeUnwrap();
    (await check())._unsafeUnwrap();
    fleet.world.markBadRelease(fleetSha("green"))._unsafeUnwrap();
    expect((await check()).isErr()).toBe(true);
    fleet.world.markBadRelease(fleetSha("green"), false)._unsafeUnwrap();
    fleet.world.setStatus(vezaHaproxy(topology.env).container, "Stopped")._unsafeUnwrap();
    const refused = (await check())._unsafeUnwrapErr();
    expect(refused.details).toMatchObject({ error: expect.stringContaining("connection refused") });
    expect((await fleet.drivers.traffic.reload())._unsafeUnwrapErr().reason).toBe("unavailable");
  });

  it("spaces attempts on the fleet clock and stops at the deadline with timeout", async () => {
    const fleet = createFleet();
    fleet.world.setColor("green", { healthy: false })._unsafeUnwrap();
    const before = fleet.clock.now().getTime();
    const error = (
      await fleet.drivers.probe.check({
        url: fleet.publicHealthUrl,
        attempts: 100,
        intervalMs: 1000,
        deadlineMs: 5000,
      })
    )._unsafeUnwrapErr();
    expect(error.reason).toBe("timeout");
    expect(fleet.clock.now().getTime() - before).toBe(4000);
  });

  it("answers each container's own URL from that container", async () => {
    const fleet = createFleet();
    const url = fleet.containerHealthUrl("veza-staging-backend-blue");
    expect(url).toBe("http://veza-staging-backend-blue.fleet/api/v1/health");
    const ok = (await fleet.drivers.probe.check({ url }))._unsafeUnwrap();
    expect(JSON.parse(ok.body)).toMatchObject({ status: "ok", sha: blueSha });
    fleet.world.setStatus("veza-staging-backend-blue", "Stopped")._unsafeUnwrap();
    expect((await fleet.drivers.probe.check({ url, attempts: 1 }))._unsafeUnwrapErr().message).toContain(
      "refused",
    );
    const nowhere = await fleet.drivers.probe.check({
      url: "http://veza-staging-nope.fleet/api/v1/health",
      attempts: 1,
    });
    expect(nowhere._unsafeUnwrapErr().reason).toBe("failed");
  });

  it("keeps secrets in URLs out of errors", async () => {
    const fleet = createFleet();
    fleet.world.setColor("green", { healthy: false })._unsafeUnwrap();
    const url = new URL(fleet.publicHealthUrl);
    url.username = "ops";
    url.password = "hunter2";
    url.searchParams.set("token", "hunter2");
    const error = (await fleet.drivers.probe.check({ url: url.href, attempts: 1 }))._unsafeUnwrapErr();
    expect(JSON.stringify(error)).not.toContain("hunter2");
  });

  it("validate rejects a config routing outside the topology and leaves the live file alone", async () => {
    const fleet = createFleet();
    const config = (await fleet.drivers.traffic.render(flipToBlue))._unsafeUnwrap();
    const purple = {
      ...config,
      content: config.content.replace("default_backend be_blue", "default_backend be_purple"),
    };
    const error = (await fleet.drivers.traffic.validate({ ...purple, color: "purple" }))._unsafeUnwrapErr();
    expect(error.reason).toBe("failed");
    expect(error.message).toContain("be_purple");
    expect(fleet.world.traffic().installedRevision).toBe(`green:${fleetSha("green")}:seed`);
  });

  it("bounds the history at the topology's limit", async () => {
    const fleet = createFleet({
      topology: vezaTopology("staging", { traffic: { ...topology.traffic, historyLimit: 3 } }),
    });
    for (let i = 0; i < 5; i++)
      (await fleet.drivers.traffic.record({ ...flipToBlue, runId: `r${i}` }))._unsafeUnwrap();
    expect(fleet.world.traffic().history.map((h) => h.runId)).toEqual(["r4", "r3", "r2"]);
  });

  it("lists containers by the runbook's pattern and starts/stops them", async () => {
    const fleet = createFleet();
    (await fleet.drivers.host.stop("veza-staging-web-blue"))._unsafeUnwrap();
    const listed = (await fleet.drivers.host.list({ pattern: "veza-staging-*-blue" }))._unsafeUnwrap();
    expect(listed.filter((i) => !i.running).map((i) => i.name)).toEqual(["veza-staging-web-blue"]);
    expect(listed.map((i) => i.name).sort()).toEqual([...colorContainers(topology, "blue")].sort());
  });
});
