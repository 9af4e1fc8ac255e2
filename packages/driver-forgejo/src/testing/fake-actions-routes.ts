import type { IncomingMessage } from "node:http";
import { RUN_STATUSES } from "@backflip/core";
import type { FakeRun, FakeWorkflow } from "./fake-actions";
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
  const { profile } = ctx.settings;
  if (kind === "tasks" && id === undefined && method === "GET") return listTasks(ctx, url, full);
  if (
    kind === "workflows" &&
    action === "dispatches" &&
    rest.length === 0 &&
    method === "POST" &&
    id &&
    profile.dispatch
  ) {
    return dispatch(ctx, req, full, id);
  }
  if (!profile.runsApi) {
    await drain(req);
    return jsonReply(404, { message: "not found", url: ctx.baseUrl });
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
  // ExpandRef: only a full refs/… name that does not resolve is a 404; an unknown workflow
  // or short ref fails in GetWorkflowFromCommit, a 500 whose message production blanks.
  const short = ref.replace(/^refs\/(heads|tags)\//, "");
  if (ref.startsWith("refs/") && (short === ref || !ctx.actions.knownRef(short))) {
    return jsonReply(404, { message: `ref ${ref} not found`, url: ctx.baseUrl });
  }
  const wf = ctx.actions.workflow(workflow, short);
  if (!wf) return jsonReply(500, { message: "", url: `${ctx.baseUrl}/api/swagger` });
  const given = inputs as Record<string, string>;
  const missing = (wf.requiredInputs ?? []).find((name) => (given[name] ?? "") === "");
  if (missing) return jsonReply(400, { message: `input "${missing}" is required` });
  const run = ctx.actions.start(repo, workflow, short, booleansRead(ctx, wf, given));
  if (wf.perform) run.statuses = await wf.perform({ ref: short, inputs: booleansRead(ctx, wf, given) });
  if (
    ctx.settings.profile.returnRunInfo &&
    ctx.settings.dispatchReply === "run-info" &&
    return_run_info === true
  ) {
    return jsonReply(201, { id: run.id, run_number: run.runNumber, jobs: ctx.actions.jobs(run) });
  }
  return { status: 204 };
}

/** The inputs as the workflow sees them: before Forgejo 14 a boolean is true only as `"on"`. */
function booleansRead(
  ctx: FakeContext,
  wf: FakeWorkflow,
  given: Record<string, string>,
): Record<string, string> {
  const read = { ...given };
  for (const name of wf.booleanInputs ?? []) {
    const value = read[name];
    if (value === undefined || value === "") continue;
    if (ctx.settings.profile.booleanInputOnlyOn) read[name] = String(value === "on");
    else if (value === "on") read[name] = "true";
  }
  return read;
}

function listRuns(ctx: FakeContext, url: URL, repo: string): FakeReply {
  const statuses = url.searchParams.getAll("status");
  const unknown = statuses.find((s) => !(RUN_STATUSES as readonly string[]).includes(s));
  if (unknown) return jsonReply(400, { message: `invalid status ${unknown}` });
  const events = url.searchParams.getAll("event");
  // workflow_id and ref filter from Forgejo 15 (#11584); older versions ignore them.
  const filters = ctx.settings.profile.runFilters;
  const workflow = filters ? url.searchParams.get("workflow_id") : null;
  const ref = filters ? url.searchParams.get("ref") : null;
  const runNumber = url.searchParams.get("run_number");
  const page = Math.max(1, Number.parseInt(url.searchParams.get("page") ?? "1", 10) || 1);
  const asked = Number.parseInt(url.searchParams.get("limit") ?? "0", 10) || 0;
  const limit = asked <= 0 ? ctx.settings.defaultPageSize : Math.min(asked, ctx.settings.maxPageSize);
  const dispatchEvents = events.length === 0 || events.includes("workflow_dispatch");
  const matching = visibleRuns(ctx)
    .filter((r) => r.repo === repo && dispatchEvents)
    .filter((r) => !workflow || r.workflow === workflow)
    .filter((r) => !ref || ref === r.ref || ref === `refs/heads/${r.ref}`)
    .filter((r) => !runNumber || String(r.runNumber) === runNumber)
    .filter((r) => statuses.length === 0 || statuses.includes(ctx.actions.status(r)))
    .sort((a, b) => b.id - a.id);
  return jsonReply(200, {
    workflow_runs: matching.slice((page - 1) * limit, page * limit).map((r) => runJson(ctx, r)),
    total_count: matching.length,
  });
}

/** The runs a listing shows: a new run stays hidden from `runHiddenForListings` listings. */
function visibleRuns(ctx: FakeContext): FakeRun[] {
  return ctx.actions.runs.filter((r) => {
    if (r.hiddenFor > 0) {
      r.hiddenFor--;
      return false;
    }
    return true;
  });
}

/**
 * `GET …/actions/tasks` (every version; the only Actions listing before Forgejo 12): one
 * `ActionTask` per job a runner picked up, newest first, `{workflow_runs, total_count}`.
 * A run is picked up once it leaves `waiting`. Without the runs API nothing else reads a
 * run, so each tasks read moves every unfinished run of the repo one read along.
 */
function listTasks(ctx: FakeContext, url: URL, repo: string): FakeReply {
  const page = Math.max(1, Number.parseInt(url.searchParams.get("page") ?? "1", 10) || 1);
  const asked = Number.parseInt(url.searchParams.get("limit") ?? "0", 10) || 0;
  const limit = asked <= 0 ? ctx.settings.defaultPageSize : Math.min(asked, ctx.settings.maxPageSize);
  const mine = visibleRuns(ctx).filter((r) => r.repo === repo);
  const tasks = mine
    .filter((r) => ctx.actions.status(r) !== "waiting")
    .flatMap((run) => ctx.actions.jobs(run).map((job, i) => taskJson(ctx, run, job, run.id * 100 + i)))
    .sort((a, b) => b.id - a.id);
  const reply = jsonReply(200, {
    workflow_runs: tasks.slice((page - 1) * limit, page * limit),
    total_count: tasks.length,
  });
  for (const run of ctx.actions.runs)
    if (run.repo === repo && !ctx.actions.done(run)) ctx.actions.observe(run);
  return reply;
}

/** Forgejo's `ActionTask` JSON (modules/structs, from go-gitea#26673). */
function taskJson(ctx: FakeContext, run: FakeRun, job: string, id: number) {
  return {
    id,
    name: job,
    head_branch: run.ref,
    head_sha: "0".repeat(40),
    run_number: run.runNumber,
    event: "workflow_dispatch",
    display_title: `${run.workflow} on ${run.ref}`,
    status: ctx.actions.status(run),
    workflow_id: run.workflow,
    url: `${ctx.baseUrl}/${run.repo}/actions/runs/${run.runNumber}`,
    created_at: isoSeconds(run.createdMs),
    updated_at: isoSeconds(ctx.now()),
    run_started_at: isoSeconds(run.createdMs),
  };
}
