import type { IncomingMessage } from "node:http";
import { RUN_STATUSES } from "@backflip/core";
import type { FakeRun } from "./fake-actions";
import { caller, echo, type FakeContext, hasScope, isoSeconds } from "./fake-context";
import { drain, type FakeReply, jsonReply } from "./fake-reply";

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    return undefined;
  }
}

function runJson(ctx: FakeContext, run: FakeRun) {
  const status = ctx.actions.status(run);
  const [owner, repo] = run.repo.split("/");
  return {
    id: run.id,
    title: `${run.workflow} on ${run.ref}`,
    repository: { id: 1, name: repo, full_name: run.repo, owner: { login: owner } },
    workflow_id: run.workflow,
    index_in_repo: run.runNumber,
    trigger_user: { login: owner },
    ScheduleID: 0,
    prettyref: run.ref,
    is_ref_deleted: false,
    commit_sha: "0".repeat(40),
    is_fork_pull_request: false,
    need_approval: false,
    approved_by: 0,
    event: "workflow_dispatch",
    event_payload: "",
    trigger_event: "workflow_dispatch",
    status,
    started: isoSeconds(run.createdMs),
    stopped: ctx.actions.done(run) ? isoSeconds(ctx.now()) : "0001-01-01T00:00:00Z",
    created: isoSeconds(run.createdMs),
    updated: isoSeconds(ctx.now()),
    duration: 0,
    html_url: `${ctx.baseUrl}/${run.repo}/actions/runs/${run.runNumber}`,
  };
}

/** `/api/v1/repos/{owner}/{repo}/actions/…`: dispatch, runs list, one run, cancel. */
export async function actionsRoute(
  ctx: FakeContext,
  req: IncomingMessage,
  url: URL,
  owner: string,
  repo: string,
  segs: readonly string[],
): Promise<FakeReply> {
  const method = req.method ?? "GET";
  const who = caller(ctx, req, url);
  if (who.kind !== "token") {
    await drain(req);
    return jsonReply(401, {
      message: who.kind === "invalid" ? `invalid token${echo(ctx, req)}` : "token is required",
    });
  }
  const full = `${owner}/${repo}`;
  if (!ctx.settings.repos.includes(full)) {
    await drain(req);
    return jsonReply(404, { message: "repository does not exist", url: ctx.baseUrl });
  }
  const write = method !== "GET";
  if (!hasScope(who, write ? "write:repository" : "read:repository")) {
    await drain(req);
    return jsonReply(403, {
      message: `token does not have at least one of required scope(s): [${write ? "write" : "read"}:repository]${echo(ctx, req)}`,
    });
  }
  const [kind, id, action, ...rest] = segs;
  if (kind === "workflows" && action === "dispatches" && rest.length === 0 && method === "POST" && id) {
    return dispatch(ctx, req, full, id);
  }
  if (kind === "runs" && id === undefined && method === "GET") return listRuns(ctx, url, full);
  const run = ctx.actions.runs.find((r) => String(r.id) === id && r.repo === full);
  if (kind === "runs" && action === undefined && method === "GET") {
    if (!run) return jsonReply(404, { message: `run ${id} does not exist`, url: ctx.baseUrl });
    const reply = jsonReply(200, runJson(ctx, run));
    ctx.actions.observe(run);
    return reply;
  }
  if (
    kind === "runs" &&
    action === "cancel" &&
    rest.length === 0 &&
    method === "POST" &&
    ctx.settings.cancelEndpoint
  ) {
    await drain(req);
    if (!run) return jsonReply(404, { message: `run ${id} does not exist`, url: ctx.baseUrl });
    ctx.actions.cancel(run);
    return { status: 204 };
  }
  await drain(req);
  return jsonReply(404, { message: "not found", url: ctx.baseUrl });
}

async function dispatch(
  ctx: FakeContext,
  req: IncomingMessage,
  repo: string,
  workflow: string,
): Promise<FakeReply> {
  const body = await readJson(req);
  if (typeof body !== "object" || body === null) return jsonReply(422, { message: "invalid JSON body" });
  const {
    ref,
    inputs = {},
    return_run_info,
  } = body as { ref?: unknown; inputs?: unknown; return_run_info?: unknown };
  if (typeof ref !== "string" || ref === "") return jsonReply(400, { message: "ref is required" });
  if (
    typeof inputs !== "object" ||
    inputs === null ||
    Object.values(inputs).some((v) => typeof v !== "string")
  ) {
    return jsonReply(422, { message: "[Inputs]: json: cannot unmarshal into Go value of type string" });
  }
  const wf = ctx.actions.workflow(workflow, ref);
  if (!wf) return jsonReply(404, { message: `workflow "${workflow}" not found at ${ref}`, url: ctx.baseUrl });
  const given = inputs as Record<string, string>;
  const missing = (wf.requiredInputs ?? []).find((name) => !(name in given));
  if (missing) return jsonReply(400, { message: `input "${missing}" is required` });
  const run = ctx.actions.start(repo, workflow, ref, given);
  if (ctx.settings.dispatchReply === "run-info" && return_run_info === true) {
    return jsonReply(201, { id: run.id, run_number: run.runNumber, jobs: wf.jobs ?? ["run"] });
  }
  return { status: 204 };
}

function listRuns(ctx: FakeContext, url: URL, repo: string): FakeReply {
  const statuses = url.searchParams.getAll("status");
  const unknown = statuses.find((s) => !(RUN_STATUSES as readonly string[]).includes(s));
  if (unknown) return jsonReply(400, { message: `invalid status ${unknown}` });
  const events = url.searchParams.getAll("event");
  const workflow = url.searchParams.get("workflow_id");
  const runNumber = url.searchParams.get("run_number");
  const page = Math.max(1, Number.parseInt(url.searchParams.get("page") ?? "1", 10) || 1);
  const asked = Number.parseInt(url.searchParams.get("limit") ?? "0", 10) || 0;
  const limit = asked <= 0 ? ctx.settings.defaultPageSize : Math.min(asked, ctx.settings.maxPageSize);
  const visible = ctx.actions.runs.filter((r) => {
    if (r.hiddenFor > 0) {
      r.hiddenFor--;
      return false;
    }
    return true;
  });
  const dispatchEvents = events.length === 0 || events.includes("workflow_dispatch");
  const matching = visible
    .filter((r) => r.repo === repo && dispatchEvents)
    .filter((r) => !workflow || r.workflow === workflow)
    .filter((r) => !runNumber || String(r.runNumber) === runNumber)
    .filter((r) => statuses.length === 0 || statuses.includes(ctx.actions.status(r)))
    .sort((a, b) => b.id - a.id);
  return jsonReply(200, {
    workflow_runs: matching.slice((page - 1) * limit, page * limit).map((r) => runJson(ctx, r)),
    total_count: matching.length,
  });
}
