import type { PipelineRun, RunStatus } from "@backflip/core";
import {
  type FakeForgejo,
  type FakeForgejoOptions,
  startFakeForgejo,
} from "@backflip/driver-forgejo/testing";
import { afterEach, describe, expect, it } from "vitest";
import { runStatus } from "../src/action-run";
import type { ForgejoConfig } from "../src/forgejo-config";
import { createForgejoPipeline, type ForgejoPipeline } from "../src/forgejo-pipeline";

let fake: FakeForgejo;
afterEach(async () => {
  await fake?.close();
});

async function rig(
  options: FakeForgejoOptions = {},
  config: Partial<ForgejoConfig> = {},
): Promise<ForgejoPipeline> {
  fake = await startFakeForgejo(options);
  return createForgejoPipeline({
    baseUrl: fake.baseUrl,
    token: fake.token,
    owner: "talas",
    repo: "veza",
    runLookupPollMs: 10,
    retry: { baseDelayMs: 1, maxDelayMs: 5 },
    ...config,
  })._unsafeUnwrap();
}

const count = (method: string, part: string) =>
  fake.requests.filter((r) => r.method === method && r.path.endsWith(part)).length;
const request = (workflow: string, inputs: Record<string, string> = {}) => ({
  workflow,
  ref: "main",
  inputs,
});

describe("dispatch", () => {
  it("with return_run_info gets the run from the 201 reply and sends inputs as strings", async () => {
    const pipeline = await rig();
    const run = (
      await pipeline.dispatch(request("rollback.yml", { env: "staging", mode: "full", dry_run: "false" }))
    )._unsafeUnwrap();
    expect(run).toMatchObject({ id: 1_000, runNumber: 1 });
    expect(run.url).toContain("/talas/veza/actions/runs/1");
    expect(fake.runs[0]?.inputs).toEqual({ env: "staging", mode: "full", dry_run: "false" });
    expect(count("POST", "/dispatches")).toBe(1);
    expect(count("GET", "/actions/runs")).toBe(1);
  });

  it("after a 204 finds the new run by workflow, event and time, ignoring older and other runs", async () => {
    const workflows = {
      "rollback.yml": { statuses: ["waiting", "success"] as RunStatus[] },
      "cleanup-failed.yml": { statuses: ["waiting", "success"] as RunStatus[] },
    };
    const pipeline = await rig({ workflows, dispatchReply: "no-content", runHiddenForListings: 3 });
    const first = (await pipeline.dispatch(request("rollback.yml")))._unsafeUnwrap();
    (await pipeline.dispatch(request("cleanup-failed.yml")))._unsafeUnwrap();
    const second = (await pipeline.dispatch(request("rollback.yml", { env: "prod" })))._unsafeUnwrap();
    expect(second.id).not.toBe(first.id);
    expect(fake.runs.find((r) => r.id === second.id)?.inputs).toEqual({ env: "prod" });
    expect(second.runNumber).toBe(3);
  });

  it("asks for no run info when told, and still finds the run", async () => {
    const pipeline = await rig({}, { returnRunInfo: false });
    const run = (await pipeline.dispatch(request("rollback.yml")))._unsafeUnwrap();
    expect(run.id).toBe(fake.runs[0]?.id);
  });

  it("a 204 whose run never shows up is a timeout that says not to dispatch blindly", async () => {
    const pipeline = await rig(
      { dispatchReply: "no-content", runHiddenForListings: 1_000_000 },
      { runLookupTimeoutMs: 50 },
    );
    const error = (await pipeline.dispatch(request("rollback.yml")))._unsafeUnwrapErr();
    expect(error.reason).toBe("timeout");
    expect(error.hint).toMatch(/do not dispatch again blindly/);
    expect(count("POST", "/dispatches")).toBe(1);
  });

  it("is not retried after a 5xx or a reset: the runs list says whether a run started", async () => {
    const pipeline = await rig();
    fake.injectFault({ method: "POST", action: { kind: "status", status: 502 } });
    const five = (await pipeline.dispatch(request("rollback.yml")))._unsafeUnwrapErr();
    expect(five.reason).toBe("unavailable");
    expect(five.message).toMatch(/no new run of rollback\.yml is listed/);
    expect(five.hint).toMatch(/look for a new run of rollback\.yml/);
    fake.injectFault({ method: "POST", phase: "after", action: { kind: "reset" } });
    const reset = await pipeline.dispatch(request("rollback.yml"));
    expect(reset._unsafeUnwrap().id).toBe(fake.runs[0]?.id);
    expect(count("POST", "/dispatches")).toBe(2);
    expect(fake.runs).toHaveLength(1);
  });

  it("maps a missing required input (400) and a missing scope (403) with the server's text", async () => {
    const pipeline = await rig(
      {
        workflows: { "rollback.yml": { statuses: ["success"], requiredInputs: ["env"] } },
        tokens: { full: {}, readonly: { scopes: ["read:repository"] } },
      },
      { token: "full" },
    );
    const missing = (await pipeline.dispatch(request("rollback.yml")))._unsafeUnwrapErr();
    expect(missing.reason).toBe("invalid_input");
    expect(missing.message).toContain('input "env" is required');
    const readonly = createForgejoPipeline({
      baseUrl: fake.baseUrl,
      token: "readonly",
      owner: "talas",
      repo: "veza",
    })._unsafeUnwrap();
    const denied = (await readonly.dispatch(request("rollback.yml", { env: "x" })))._unsafeUnwrapErr();
    expect(denied.reason).toBe("unauthorized");
    expect(denied.message).toContain("write:repository");
  });
});

describe("follow", () => {
  const finals: RunStatus[][] = [
    ["waiting", "running", "success"],
    ["waiting", "running", "failure"],
    ["waiting", "cancelled"],
    ["waiting", "blocked", "unknown", "running", "skipped"],
  ];
  for (const statuses of finals) {
    it(`reports every status change through to ${statuses.at(-1)}`, async () => {
      const pipeline = await rig({ workflows: { "w.yml": { statuses } }, pollsPerStatus: 2 });
      const run = (await pipeline.dispatch(request("w.yml")))._unsafeUnwrap();
      const seen: PipelineRun[] = [];
      const final = (
        await pipeline.follow(run.id, { deadlineMs: 10_000, pollMs: 1, onStatus: (r) => seen.push(r) })
      )._unsafeUnwrap();
      expect(final.status).toBe(statuses.at(-1));
      expect(seen.map((r) => r.status)).toEqual(statuses);
    });
  }

  it("rides out a failing poll and keeps going", async () => {
    const pipeline = await rig({ workflows: { "w.yml": { statuses: ["running", "running", "success"] } } });
    const run = (await pipeline.dispatch(request("w.yml")))._unsafeUnwrap();
    fake.injectFault({
      method: "GET",
      path: `/runs/${run.id}`,
      times: 6,
      action: { kind: "status", status: 503 },
    });
    const final = await pipeline.follow(run.id, { deadlineMs: 10_000, pollMs: 1 });
    expect(final._unsafeUnwrap().status).toBe("success");
  });

  it("a deadline gives `timeout` with the last status and the run's link", async () => {
    const pipeline = await rig({ workflows: { "w.yml": { statuses: ["waiting", "running"] } } });
    const run = (await pipeline.dispatch(request("w.yml")))._unsafeUnwrap();
    const error = (await pipeline.follow(run.id, { deadlineMs: 30, pollMs: 5 }))._unsafeUnwrapErr();
    expect(error.reason).toBe("timeout");
    expect(error.message).toContain("still running");
    expect(error.message).toContain("/actions/runs/1");
    expect(error.details).toMatchObject({ runId: run.id, status: "running" });
  });
});

describe("cancel", () => {
  it("cancels a running run; without a cancel endpoint it is unsupported unless the run is done", async () => {
    const pipeline = await rig({
      workflows: { "w.yml": { statuses: ["running"] }, "ok.yml": { statuses: ["success"] } },
    });
    const run = (await pipeline.dispatch(request("w.yml")))._unsafeUnwrap();
    (await pipeline.cancel(run.id))._unsafeUnwrap();
    expect((await pipeline.getRun(run.id))._unsafeUnwrap().status).toBe("cancelled");
    expect((await pipeline.cancel(999_999))._unsafeUnwrapErr().reason).toBe("not_found");
    await fake.close();

    const old = await rig({
      cancelEndpoint: false,
      workflows: { "w.yml": { statuses: ["running"] }, "ok.yml": { statuses: ["success"] } },
    });
    const running = (await old.dispatch(request("w.yml")))._unsafeUnwrap();
    const error = (await old.cancel(running.id))._unsafeUnwrapErr();
    expect(error.reason).toBe("unsupported");
    expect(error.hint).toMatch(/Actions UI/);
    const done = (await old.dispatch(request("ok.yml")))._unsafeUnwrap();
    (await old.cancel(done.id))._unsafeUnwrap();
  });
});

describe("statuses", () => {
  it("maps Gitea-style status + conclusion onto Forgejo's raw set", () => {
    expect(runStatus("completed", "failure")).toBe("failure");
    expect(runStatus("completed", "timed_out")).toBe("failure");
    expect(runStatus("in_progress")).toBe("running");
    expect(runStatus("queued")).toBe("waiting");
    expect(runStatus("blocked")).toBe("blocked");
    expect(runStatus("weird")).toBe("unknown");
  });

  it("a forced status (blocked) is reported as is", async () => {
    const pipeline = await rig({ workflows: { "w.yml": { statuses: ["waiting"] } } });
    const run = (await pipeline.dispatch(request("w.yml")))._unsafeUnwrap();
    fake.setRunStatus(run.id, "blocked");
    expect((await pipeline.getRun(run.id))._unsafeUnwrap().status).toBe("blocked");
  });
});

describe("invalid input", () => {
  it("is rejected before any request", async () => {
    const pipeline = await rig();
    const bad = [
      pipeline.dispatch(request("rollback.yml; rm -rf /")),
      pipeline.dispatch(request(".forgejo/workflows/rollback.yml")),
      pipeline.dispatch({ workflow: "rollback.yml", ref: "main..evil", inputs: {} }),
      pipeline.dispatch({ workflow: "rollback.yml", ref: "main", inputs: { "bad key": "x" } }),
      pipeline.dispatch({
        workflow: "rollback.yml",
        ref: "main",
        inputs: { force: true as unknown as string },
      }),
      pipeline.getRun(Number.NaN),
      pipeline.cancel(-3),
      pipeline.follow(1, { deadlineMs: 0 }),
    ];
    for (const result of await Promise.all(bad))
      expect(result._unsafeUnwrapErr().reason).toBe("invalid_input");
    expect(fake.requests).toHaveLength(0);
    expect(
      createForgejoPipeline({ baseUrl: fake.baseUrl, token: fake.token, owner: "talas" })._unsafeUnwrapErr()
        .reason,
    ).toBe("invalid_input");
  });
});
