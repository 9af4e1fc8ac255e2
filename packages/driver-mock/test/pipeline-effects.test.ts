import { colorContainers, type DispatchRequest } from "@backflip/core";
import { vezaTopology } from "@backflip/core/recipes";
import { describe, expect, it } from "vitest";
import { createFleet, type Fleet, fleetSha } from "../src/index";

const topology = vezaTopology("staging");
const rollback = (inputs: Record<string, string>): DispatchRequest => ({
  workflow: "rollback.yml",
  ref: "main",
  inputs: { env: "staging", ...inputs },
});

async function runToEnd(fleet: Fleet, request: DispatchRequest) {
  const run = (await fleet.drivers.pipeline.dispatch(request))._unsafeUnwrap();
  expect(run.status).toBe("waiting");
  const statuses: string[] = [];
  const final = (
    await fleet.drivers.pipeline.follow(run.id, {
      deadlineMs: 60_000,
      pollMs: 1000,
      onStatus: (r) => statuses.push(r.status),
    })
  )._unsafeUnwrap();
  const view = fleet.world.runs().find((r) => r.id === run.id);
  return { final, statuses, log: view?.log ?? [] };
}

describe("the simulated pipeline applies its runs to the world", () => {
  it("mode=fast flips traffic to the target color", async () => {
    const fleet = createFleet();
    const { final, statuses } = await runToEnd(fleet, rollback({ mode: "fast", target_color: "blue" }));
    expect(final.status).toBe("success");
    expect(statuses).toEqual(["running", "success"]);
    expect(fleet.world.traffic()).toMatchObject({ activeColor: "blue", liveColor: "blue" });
    expect(fleet.world.traffic().history[0]).toMatchObject({
      color: "blue",
      sha: fleetSha("blue"),
      actor: "forgejo-actions",
    });
  });

  it("mode=fast fails loud when a target container is not RUNNING, changing nothing", async () => {
    const fleet = createFleet();
    fleet.world.setStatus("veza-staging-web-blue", "Stopped")._unsafeUnwrap();
    const { final, log } = await runToEnd(fleet, rollback({ mode: "fast", target_color: "blue" }));
    expect(final.status).toBe("failure");
    expect(log.join("\n")).toContain("Path 2");
    expect(fleet.world.traffic().liveColor).toBe("green");
  });

  it("mode=full redeploys release_sha into the idle color and flips to it", async () => {
    const old = fleetSha("old");
    const fleet = createFleet({
      scenario: {
        active: "green",
        colors: { blue: null, green: { sha: fleetSha("green"), running: true, healthy: true } },
        artifacts: [old, fleetSha("green")],
      },
    });
    fleet.world.recordDeploy("failure")._unsafeUnwrap();
    expect(
      (
        await fleet.drivers.alerts.isFiring({ name: "VezaDeployFailed", labels: { env: "staging" } })
      )._unsafeUnwrap(),
    ).toBe(true);
    fleet.clock.advance(1000);
    const { final } = await runToEnd(fleet, rollback({ mode: "full", release_sha: old }));
    expect(final.status).toBe("success");
    expect(fleet.world.colorContainers("blue").map((c) => [c.status, c.sha])).toEqual(
      colorContainers(topology, "blue").map(() => ["Running", old]),
    );
    expect(fleet.world.traffic()).toMatchObject({ activeColor: "blue", liveColor: "blue" });
    expect((await fleet.drivers.alerts.isFiring({ name: "VezaDeployFailed" }))._unsafeUnwrap()).toBe(false);
  });

  it("mode=full fails when an artifact was purged (Path 3), and reverts when the public probe fails", async () => {
    const old = fleetSha("old");
    const fleet = createFleet();
    const missing = await runToEnd(fleet, rollback({ mode: "full", release_sha: old }));
    expect(missing.final.status).toBe("failure");
    expect(missing.log.join("\n")).toContain("Path 3");
    fleet.world.addArtifact("backend", old)._unsafeUnwrap();
    fleet.world.addArtifact("stream", old)._unsafeUnwrap();
    fleet.world.addArtifact("web", old)._unsafeUnwrap();
    fleet.world.markBadRelease(old)._unsafeUnwrap();
    const bad = await runToEnd(fleet, rollback({ mode: "full", release_sha: old }));
    expect(bad.final.status).toBe("failure");
    expect(bad.log.join("\n")).toContain("reverted to green");
    expect(fleet.world.traffic()).toMatchObject({ activeColor: "green", liveColor: "green" });
    expect(fleet.world.publicHealth()).toMatchObject({ status: 200 });
  });

  it("cleanup destroys an idle color's app containers and refuses the live one", async () => {
    const fleet = createFleet();
    const cleanup = (color: string) =>
      runToEnd(fleet, { workflow: "cleanup-failed.yml", ref: "main", inputs: { env: "staging", color } });
    const refused = await cleanup("green");
    expect(refused.final.status).toBe("failure");
    expect(refused.log.join("\n")).toContain("live color");
    expect(fleet.world.colorContainers("green")).toHaveLength(3);
    expect((await cleanup("blue")).final.status).toBe("success");
    expect(fleet.world.colorContainers("blue")).toEqual([]);
  });

  it("rejects missing required inputs with invalid_input, and an unknown ref as not_found", async () => {
    const fleet = createFleet();
    const noMode = await fleet.drivers.pipeline.dispatch({
      workflow: "rollback.yml",
      ref: "main",
      inputs: { env: "staging" },
    });
    expect(noMode._unsafeUnwrapErr().reason).toBe("invalid_input");
    const badRef = await fleet.drivers.pipeline.dispatch({
      ...rollback({ mode: "fast", target_color: "blue" }),
      ref: "nope",
    });
    expect(badRef._unsafeUnwrapErr().reason).toBe("not_found");
    expect(fleet.world.runs()).toEqual([]);
  });

  it("a run moves one stage per getRun poll", async () => {
    const fleet = createFleet();
    const run = (
      await fleet.drivers.pipeline.dispatch(rollback({ mode: "fast", target_color: "blue" }))
    )._unsafeUnwrap();
    expect((await fleet.drivers.pipeline.getRun(run.id))._unsafeUnwrap().status).toBe("running");
    expect(fleet.world.traffic().liveColor).toBe("green");
    expect((await fleet.drivers.pipeline.getRun(run.id))._unsafeUnwrap().status).toBe("success");
    expect(fleet.world.traffic().liveColor).toBe("blue");
  });
});
