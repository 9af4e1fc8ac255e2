import { type RunStatus, runPlan } from "@backflip/core";
import { redeployViaPipeline } from "@backflip/core/recipes";
import {
  type FakeForgejo,
  type FakeForgejoVersion,
  startFakeForgejo,
} from "@backflip/driver-forgejo/testing";
import { createFleet, type Fleet, fleetSha } from "@backflip/driver-mock";
import { afterEach, describe, expect, it } from "vitest";
import { createForgejoPipeline } from "../src/forgejo-pipeline";

// Path 2 through the pipeline (the runbook's "Run workflow" on rollback.yml, mode=full)
// with this driver against the fake at each version, and driver-mock's fleet for the
// hosts, traffic, probe and registry. The fake's rollback.yml does on the fleet what the
// real workflow does on the hosts: it runs the fleet's own simulated rollback.yml.

const A = fleetSha("release A (known good)");
const B = fleetSha("release B (bad)");
const who = { actor: "alice", reason: "roll back to A" };

let fake: FakeForgejo | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

/** Green runs the bad B; blue's containers are gone; A is in the registry. */
function path2Fleet(): Fleet {
  const f = createFleet({
    scenario: {
      active: "green",
      colors: {
        blue: { sha: A, running: false, healthy: true },
        green: { sha: B, running: true, healthy: false },
      },
      history: [
        { at: "2026-01-01T00:00:00.000Z", color: "green", sha: B },
        { at: "2025-12-31T22:00:00.000Z", color: "blue", sha: A },
      ],
      artifacts: [A, B],
    },
  });
  f.world.destroyColor("blue")._unsafeUnwrap();
  return f;
}

/** Starts the fake at `version` with a rollback.yml that runs the fleet's own workflow. */
async function forgejoOn(f: Fleet, version: FakeForgejoVersion) {
  fake = await startFakeForgejo({
    version,
    workflows: {
      "rollback.yml": {
        statuses: ["waiting"],
        requiredInputs: ["env", "mode"],
        jobs: ["rollback"],
        perform: async ({ ref, inputs }) => {
          const run = (
            await f.drivers.pipeline.dispatch({ workflow: "rollback.yml", ref, inputs })
          )._unsafeUnwrap();
          const done = (
            await f.drivers.pipeline.follow(run.id, { deadlineMs: 600_000, pollMs: 1_000 })
          )._unsafeUnwrap();
          return ["waiting", "running", done.status] satisfies RunStatus[];
        },
      },
    },
  });
  const pipeline = createForgejoPipeline({
    baseUrl: fake.baseUrl,
    token: fake.token,
    owner: "talas",
    repo: "veza",
    runLookupPollMs: 5,
  })._unsafeUnwrap();
  return { ...f.drivers, pipeline };
}

const execute = (f: Fleet, plan: Parameters<typeof runPlan>[0]) =>
  runPlan(plan, { journal: f.journal, lock: f.lock, owner: "test", now: () => f.clock.now() });

describe("redeployViaPipeline through driver-forgejo, per Forgejo version", () => {
  for (const version of ["8.0.0", "11.0.4", "12.0.0", "16.0.0"] as const) {
    it(`${version}: dispatches rollback.yml mode=full release_sha, follows its run to success, verifies`, async () => {
      const f = path2Fleet();
      const drivers = await forgejoOn(f, version);
      const plan = (
        await redeployViaPipeline(f.topology, drivers, { ...who, sha: A, follow: { pollMs: 1 } })
      )._unsafeUnwrap();
      const report = (await execute(f, plan))._unsafeUnwrap();
      expect(report.state).toBe("succeeded");
      expect(fake?.runs).toHaveLength(1);
      expect(fake?.runs[0]).toMatchObject({
        workflow: "rollback.yml",
        ref: "main",
        inputs: { env: "staging", mode: "full", target_color: "", release_sha: A },
      });
      expect(f.world.traffic().history[0]).toMatchObject({ sha: A });
      expect(f.world.publicHealth()).toMatchObject({ status: 200 });
      const runsApi = fake?.requests.some((r) => r.path.endsWith("/actions/runs")) ?? false;
      expect(runsApi).toBe(version === "12.0.0" || version === "16.0.0");
    });
  }

  it("8.0.0: a failing rollback.yml run fails the plan at follow-workflow, traffic kept", async () => {
    const f = path2Fleet();
    f.world.markBadRelease(A)._unsafeUnwrap();
    const drivers = await forgejoOn(f, "8.0.0");
    const plan = (
      await redeployViaPipeline(f.topology, drivers, { ...who, sha: A, follow: { pollMs: 1 } })
    )._unsafeUnwrap();
    const error = (await execute(f, plan))._unsafeUnwrapErr();
    expect(error.report?.error?.stepId).toBe("follow-workflow");
    expect(f.world.traffic().liveColor).toBe("green");
  });
});
