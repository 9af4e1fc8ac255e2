import type { PipelineRun, RunStatus } from "@backflip/core";
import {
  type FakeForgejo,
  type FakeForgejoOptions,
  type FakeForgejoVersion,
  startFakeForgejo,
} from "@backflip/driver-forgejo/testing";
import { afterEach, describe, expect, it } from "vitest";
import { aggregateStatus, runsFromTasks } from "../src/action-tasks";
import { createForgejoPipeline, type ForgejoPipeline } from "../src/forgejo-pipeline";
import { capabilitiesOf, parseServerVersion } from "../src/forgejo-version";

let fake: FakeForgejo;
afterEach(async () => {
  await fake?.close();
});

async function rig(version: FakeForgejoVersion, options: FakeForgejoOptions = {}): Promise<ForgejoPipeline> {
  fake = await startFakeForgejo({ version, ...options });
  return createForgejoPipeline({
    baseUrl: fake.baseUrl,
    token: fake.token,
    owner: "talas",
    repo: "veza",
    runLookupPollMs: 5,
    retry: { baseDelayMs: 1, maxDelayMs: 5 },
  })._unsafeUnwrap();
}

const paths = (method: string, part: string) =>
  fake.requests.filter((r) => r.method === method && r.path.includes(part)).length;
const request = (workflow = "rollback.yml") => ({ workflow, ref: "main", inputs: { env: "staging" } });

describe("the server's version", () => {
  it("parses Forgejo's `X.Y.Z+gitea-…` and Gitea's own, and maps capabilities", () => {
    expect(parseServerVersion("11.0.1+gitea-1.22.0")).toMatchObject({ product: "forgejo", major: 11 });
    expect(parseServerVersion("1.22.6")).toMatchObject({ product: "gitea", major: 1, minor: 22 });
    expect(parseServerVersion("1.21.11-1+gitea-1.21.11")?.product).toBe("forgejo");
    expect(parseServerVersion("development")).toBeNull();
    const caps = (text: string) => capabilitiesOf(parseServerVersion(text));
    expect(caps("8.0.0+gitea-1.22.0")).toEqual({
      dispatch: true,
      returnRunInfo: false,
      runsApi: false,
      runFilters: false,
      cancel: false,
      head: false,
    });
    expect(caps("11.0.4+gitea-1.22.0")).toMatchObject({ returnRunInfo: true, runsApi: false });
    expect(caps("12.0.0+gitea-1.22.0")).toMatchObject({ runsApi: true, runFilters: false });
    expect(caps("15.0.3+gitea-1.22.0")).toMatchObject({ runFilters: true, cancel: false });
    expect(caps("16.0.0+gitea-1.22.0")).toMatchObject({ cancel: true, head: true });
    expect(caps("1.22.6").dispatch).toBe(false);
    expect(caps("1.24.0").dispatch).toBe(true);
    expect(capabilitiesOf(null).cancel).toBe(true);
  });

  it("is asked once per client, lazily (not before invalid input, not again later)", async () => {
    const pipeline = await rig("12.0.0");
    expect((await pipeline.getRun(-1))._unsafeUnwrapErr().reason).toBe("invalid_input");
    expect(fake.requests).toHaveLength(0);
    const run = (await pipeline.dispatch(request()))._unsafeUnwrap();
    (await pipeline.follow(run.id, { deadlineMs: 10_000, pollMs: 1 }))._unsafeUnwrap();
    (await pipeline.getRun(run.id))._unsafeUnwrap();
    expect(paths("GET", "/api/v1/version")).toBe(1);
    const server = (await pipeline.server())._unsafeUnwrap();
    expect(server.version?.text).toBe("12.0.0+gitea-1.22.0");
    expect(server.capabilities).toMatchObject({
      runsApi: true,
      runFilters: false,
      cancel: false,
      head: false,
    });
    expect(paths("GET", "/api/v1/version")).toBe(1);
  });

  it("a server that does not answer it is assumed to have every capability", async () => {
    const pipeline = await rig("16.0.0");
    fake.injectFault({ path: "/api/v1/version", action: { kind: "status", status: 404 } });
    const run = (await pipeline.dispatch(request()))._unsafeUnwrap();
    expect(run.id).toBe(fake.runs[0]?.id);
    expect(paths("GET", "/actions/runs")).toBeGreaterThan(0);
  });
});

describe("Forgejo 8–11: dispatch and follow through the tasks list", () => {
  for (const version of ["8.0.0", "11.0.4"] as const) {
    it(`${version}: never touches the runs API; the run id is the run number`, async () => {
      const pipeline = await rig(version, {
        workflows: { "rollback.yml": { statuses: ["waiting", "running", "success"], jobs: ["a", "b"] } },
      });
      const seen: PipelineRun[] = [];
      const run = (await pipeline.dispatch(request()))._unsafeUnwrap();
      expect(run.id).toBe(fake.runs[0]?.runNumber);
      const final = (
        await pipeline.follow(run.id, { deadlineMs: 10_000, pollMs: 1, onStatus: (r) => seen.push(r) })
      )._unsafeUnwrap();
      expect(final).toMatchObject({ id: 1, runNumber: 1, status: "success" });
      expect(final.url).toContain("/talas/veza/actions/runs/1");
      expect(seen.at(-1)?.status).toBe("success");
      expect(paths("GET", "/actions/runs")).toBe(0);
      expect(paths("GET", "/actions/tasks")).toBeGreaterThan(0);
    });
  }

  it("11.0.4 takes the run number from return_run_info's 201 at once; 8.0.0 finds the run after a runner picked it up", async () => {
    await rig("11.0.4", { workflows: { "rollback.yml": { statuses: ["waiting", "success"] } } });
    const eleven = createForgejoPipeline({
      baseUrl: fake.baseUrl,
      token: fake.token,
      owner: "talas",
      repo: "veza",
    });
    const ran = (await eleven._unsafeUnwrap().dispatch(request()))._unsafeUnwrap();
    // 201 gave run_number 1; no runner picked it up yet, so it reads as waiting
    expect(ran).toMatchObject({ id: 1, runNumber: 1, status: "waiting" });
    await fake.close();

    const eight = await rig("8.0.0", {
      workflows: { "rollback.yml": { statuses: ["waiting", "running", "success"] } },
    });
    const found = (await eight.dispatch(request()))._unsafeUnwrap();
    expect(found).toMatchObject({ id: 1, runNumber: 1, status: "running" });
  });

  it("a run number nobody dispatched and no runner picked up is not_found", async () => {
    const pipeline = await rig("8.0.0");
    const error = (await pipeline.getRun(42))._unsafeUnwrapErr();
    expect(error.reason).toBe("not_found");
    expect(error.hint).toMatch(/runner picked up/);
  });

  it("aggregates a run's tasks: running while any job runs, failure over success once all are done", () => {
    const s = (...statuses: RunStatus[]) => statuses;
    expect(aggregateStatus(s())).toBe("waiting");
    expect(aggregateStatus(s("success", "running"))).toBe("running");
    expect(aggregateStatus(s("success", "failure"))).toBe("failure");
    expect(aggregateStatus(s("success", "skipped"))).toBe("success");
    expect(aggregateStatus(s("success"), 2)).toBe("running");
    expect(aggregateStatus(s("failure"), 2)).toBe("failure");
  });

  it("counts a re-run job by its latest task", () => {
    const task = (id: number, job: string, status: RunStatus) => ({
      id,
      job,
      runNumber: 3,
      status,
      workflow: "rollback.yml",
      event: "workflow_dispatch",
      createdMs: undefined,
      url: undefined,
    });
    const [run] = runsFromTasks([
      task(9, "deploy", "success"),
      task(7, "deploy", "failure"),
      task(8, "build", "success"),
    ]);
    expect(run?.run).toMatchObject({ id: 3, status: "success" });
  });
});

describe("Forgejo 12–14: the runs list ignores workflow_id", () => {
  it("finds the new run of the right workflow after a 204 among other workflows' newer runs", async () => {
    const workflows = {
      "rollback.yml": { statuses: ["waiting", "success"] as RunStatus[] },
      "other.yml": { statuses: ["waiting", "success"] as RunStatus[] },
    };
    const pipeline = await rig("12.0.0", { workflows, dispatchReply: "no-content", runHiddenForListings: 2 });
    (await pipeline.dispatch(request("other.yml")))._unsafeUnwrap();
    const run = (await pipeline.dispatch(request("rollback.yml")))._unsafeUnwrap();
    expect(fake.runs.find((r) => r.id === run.id)?.workflow).toBe("rollback.yml");
  });
});

describe("capabilities a version lacks are unsupported, naming the version and the manual fallback", () => {
  it("15.0.3: cancel sends nothing and says Forgejo 16 has it", async () => {
    const pipeline = await rig("15.0.3", { workflows: { "w.yml": { statuses: ["running"] } } });
    const run = (await pipeline.dispatch(request("w.yml")))._unsafeUnwrap();
    const error = (await pipeline.cancel(run.id))._unsafeUnwrapErr();
    expect(error.reason).toBe("unsupported");
    expect(error.message).toBe("Forgejo 15.0.3 has no run cancel endpoint (it exists from Forgejo 16.0)");
    expect(error.hint).toMatch(/Actions UI \(http:\/\/127\.0\.0\.1:\d+\/talas\/veza\/actions\)/);
    expect(paths("POST", "/cancel")).toBe(0);
  });

  it("gitea-1.22: dispatch is unsupported (Run workflow in the Actions UI); runs are still read from tasks", async () => {
    const pipeline = await rig("gitea-1.22");
    const error = (await pipeline.dispatch(request()))._unsafeUnwrapErr();
    expect(error.reason).toBe("unsupported");
    expect(error.message).toMatch(/^Gitea 1\.22\.6 has no workflow dispatch API/);
    expect(error.hint).toMatch(/"Run workflow" on rollback\.yml/);
    expect(paths("POST", "/dispatches")).toBe(0);
    expect((await pipeline.getRun(7))._unsafeUnwrapErr().reason).toBe("not_found");
  });
});
