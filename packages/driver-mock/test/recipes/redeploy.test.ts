import { HINTS, redeploy, redeployViaPipeline } from "@backflip/core/recipes";
import { describe, expect, it } from "vitest";
import { fleetSha } from "../../src/index";
import { expectConverged, fleet, run, topology, worldSnapshot } from "./fleet-run";

const A = fleetSha("release A (known good)");
const B = fleetSha("release B (bad)");
const C = fleetSha("release C (recycled blue)");
const who = { actor: "alice", reason: "roll back to A" };

/** Green runs the bad B; blue was recycled for C and is stopped; A is still in the registry. */
const path2Scenario = (overrides: { migration?: { version: number; dirty: boolean } } = {}) =>
  fleet({
    active: "green",
    colors: {
      blue: { sha: C, running: false, healthy: true },
      green: { sha: B, running: true, healthy: false },
    },
    history: [
      { at: "2026-01-01T00:00:00.000Z", color: "green", sha: B },
      { at: "2025-12-31T23:00:00.000Z", color: "blue", sha: C },
      { at: "2025-12-31T22:00:00.000Z", color: "green", sha: A },
    ],
    artifacts: [A, C, B],
    ...overrides,
  });

describe("redeploy (Path 2, native) on the simulated fleet", () => {
  it("stages A into the idle color, starts and checks it, flips, probes, converges", async () => {
    const f = path2Scenario();
    const plan = (await redeploy(topology, f.drivers, { ...who, sha: A }))._unsafeUnwrap();
    expect(plan.intent).toMatchObject({ path: "redeploy", from: "green", to: "blue", sha: A });
    expect(plan.steps.map((s) => s.id)).toEqual([
      "resolve-artifacts",
      "pick-idle-color",
      "migration-caveat",
      "read-state",
      "render-validate",
      "stage-artifacts",
      "start-and-check",
      "activate",
      "record",
      "public-probe",
      "post-run-facts",
    ]);
    const report = (await run(f, plan)).result._unsafeUnwrap();
    expect(report.state).toBe("succeeded");
    expectConverged(f, "blue");
    expect(f.world.traffic().history[0]).toMatchObject({ color: "blue", sha: A, runId: report.runId });
    for (const c of f.world.colorContainers("blue")) {
      expect(c.sha).toBe(A);
      expect(c.status).toBe("Running");
      expect(
        [...c.files.keys()].some(
          (p) => p.startsWith("/opt/veza/releases/veza-") && p.endsWith(`${A}.tar.zst`),
        ),
      ).toBe(true);
    }
    expect(f.world.publicHealth()).toMatchObject({ status: 200 });
  });

  it("carries the migration caveat as a warning in the plan and the run's log", async () => {
    const f = path2Scenario({ migration: { version: 12, dirty: true } });
    const plan = (
      await redeploy(topology, f.drivers, { ...who, sha: A, expectedSchemaVersion: 11 })
    )._unsafeUnwrap();
    const warnings = (plan.intent.params?.warnings ?? []) as { code: string; message: string }[];
    expect(warnings.map((w) => w.code)).toEqual(["not_rolled_back", "schema_changed", "dirty"]);
    expect(warnings.find((w) => w.code === "dirty")?.message).toContain("Path 3");
    expect(plan.render()).toContain("DIRTY schema");
    const { result, events } = await run(f, plan);
    result._unsafeUnwrap();
    const logs = events.flatMap((e) =>
      e.type === "step.log" && e.stepId === "migration-caveat" ? [e.message] : [],
    );
    expect(logs.join("\n")).toContain("Migrations are not rolled back automatically");
    expect(logs.join("\n")).toContain("dirty");
  });

  it("refuses up front with the Path 3 hint when an artifact was purged, changing nothing", async () => {
    const f = path2Scenario();
    f.world.purgeArtifact("stream", A)._unsafeUnwrap();
    const before = worldSnapshot(f);
    const e = (await redeploy(topology, f.drivers, { ...who, sha: A }))._unsafeUnwrapErr();
    expect(e.reason).toBe("not_found");
    expect(e.hint).toBe(HINTS.usePath3Rebuild);
    expect(e.message).toContain(`veza-stream-${A}.tar.zst`);
    expect(worldSnapshot(f)).toBe(before);
  });

  it("refuses at run time with the Path 3 hint when the artifact is purged after planning", async () => {
    const f = path2Scenario();
    const plan = (await redeploy(topology, f.drivers, { ...who, sha: A }))._unsafeUnwrap();
    f.world.purgeRelease(A)._unsafeUnwrap();
    const before = worldSnapshot(f);
    const error = (await run(f, plan)).result._unsafeUnwrapErr();
    expect(error.kind).toBe("refused");
    expect(error.report?.error?.hint).toBe(HINTS.usePath3Rebuild);
    expect(worldSnapshot(f)).toBe(before);
  });

  it("flips back automatically when the public probe fails after the flip", async () => {
    const f = path2Scenario();
    const plan = (
      await redeploy(topology, f.drivers, { ...who, sha: A, probe: { attempts: 2, deadlineMs: 2000 } })
    )._unsafeUnwrap();
    f.faults.fail("probe.check", "failed", { target: f.publicHealthUrl, message: "503 from the edge" });
    const error = (await run(f, plan)).result._unsafeUnwrapErr();
    expect(error.kind).toBe("reverted");
    const outcomes = Object.fromEntries(error.report!.steps.map((s) => [s.id, s.outcome]));
    expect(outcomes).toMatchObject({
      "stage-artifacts": "undone",
      "start-and-check": "undone",
      activate: "undone",
      record: "undone",
      "public-probe": "failed",
    });
    expectConverged(f, "green");
    expect(f.world.traffic().history[0]?.sha).toBe(B);
    for (const c of f.world.colorContainers("blue")) {
      expect(c.sha).toBe(C);
      expect(c.status).toBe("Stopped");
    }
  });

  it("never flips when the idle color does not come up healthy locally", async () => {
    const f = path2Scenario();
    f.world.setColor("blue", { healthy: false })._unsafeUnwrap();
    const plan = (
      await redeploy(topology, f.drivers, { ...who, sha: A, probe: { attempts: 1 } })
    )._unsafeUnwrap();
    const error = (await run(f, plan)).result._unsafeUnwrapErr();
    expect(error.kind).toBe("reverted");
    expect(error.report?.error?.stepId).toBe("start-and-check");
    expect(error.report?.error?.hint).toContain("nothing was flipped");
    expectConverged(f, "green");
    for (const c of f.world.colorContainers("blue")) {
      expect(c.status).toBe("Stopped");
      expect(c.sha).toBe(C);
    }
  });

  it("refuses when the idle color's containers are gone, pointing at the pipeline", async () => {
    const f = path2Scenario();
    f.world.destroyColor("blue")._unsafeUnwrap();
    const e = (await redeploy(topology, f.drivers, { ...who, sha: A }))._unsafeUnwrapErr();
    expect(e.reason).toBe("not_found");
    expect(e.hint).toBe(HINTS.usePipeline);
  });

  it("refuses a SHA that is already live", async () => {
    const f = path2Scenario();
    expect((await redeploy(topology, f.drivers, { ...who, sha: B }))._unsafeUnwrapErr().reason).toBe(
      "conflict",
    );
  });

  it("bad inputs get invalid_input and change nothing", async () => {
    const f = path2Scenario();
    const before = worldSnapshot(f);
    for (const input of [
      { ...who, sha: A.slice(0, 12) },
      { ...who, sha: A.toUpperCase() },
      { ...who, sha: A, expectedSchemaVersion: -1 },
      { ...who },
      { ...who, sha: A, actor: "" },
    ]) {
      expect((await redeploy(topology, f.drivers, input as never))._unsafeUnwrapErr().reason).toBe(
        "invalid_input",
      );
      expect((await redeployViaPipeline(topology, f.drivers, input as never))._unsafeUnwrapErr().reason).toBe(
        "invalid_input",
      );
    }
    expect(f.faults.calls("registry.stat")).toBe(0);
    expect(worldSnapshot(f)).toBe(before);
  });
});

describe("redeployViaPipeline (Path 2 through rollback.yml) on the simulated fleet", () => {
  it("dispatches rollback.yml mode=full release_sha, follows it, verifies", async () => {
    const f = path2Scenario();
    f.world.destroyColor("blue")._unsafeUnwrap();
    const plan = (await redeployViaPipeline(topology, f.drivers, { ...who, sha: A }))._unsafeUnwrap();
    expect(plan.intent).toMatchObject({ path: "redeploy-pipeline", sha: A });
    const report = (await run(f, plan)).result._unsafeUnwrap();
    expect(report.state).toBe("succeeded");
    const runs = f.world.runs();
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({
      workflow: "rollback.yml",
      ref: "main",
      inputs: { env: "staging", mode: "full", target_color: "", release_sha: A },
      status: "success",
    });
    expect(f.world.traffic().history[0]?.sha).toBe(A);
    expect(f.world.publicHealth()).toMatchObject({ status: 200 });
  });

  it("refuses up front with the Path 3 hint when an artifact is missing", async () => {
    const f = path2Scenario();
    f.world.purgeArtifact("web", A)._unsafeUnwrap();
    const e = (await redeployViaPipeline(topology, f.drivers, { ...who, sha: A }))._unsafeUnwrapErr();
    expect(e.hint).toBe(HINTS.usePath3Rebuild);
    expect(f.world.runs()).toHaveLength(0);
  });

  it("warns about the migration caveat", async () => {
    const f = path2Scenario({ migration: { version: 3, dirty: true } });
    const plan = (await redeployViaPipeline(topology, f.drivers, { ...who, sha: A }))._unsafeUnwrap();
    const codes = ((plan.intent.params?.warnings ?? []) as { code: string }[]).map((w) => w.code);
    expect(codes).toEqual(["not_rolled_back", "dirty"]);
  });

  it("fails with the run's status when the workflow fails (and the pipeline's Phase F kept traffic)", async () => {
    const f = path2Scenario();
    f.world.markBadRelease(A)._unsafeUnwrap();
    const plan = (await redeployViaPipeline(topology, f.drivers, { ...who, sha: A }))._unsafeUnwrap();
    const error = (await run(f, plan)).result._unsafeUnwrapErr();
    expect(error.kind).toBe("reverted");
    expect(error.report?.error?.stepId).toBe("follow-workflow");
    expect(f.world.traffic().liveColor).toBe("green");
  });
});
