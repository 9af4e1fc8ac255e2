import { setTimeout as sleep } from "node:timers/promises";
import {
  type DispatchRequest,
  type DriverError,
  driverError,
  FINAL_RUN_STATUSES,
  type FollowOptions,
  invalidInput,
  type Pipeline,
  type PipelineRun,
  parseInput,
} from "@backflip/core";
import { err, ok, type Result, type ResultAsync } from "neverthrow";
import { z } from "zod";
import { type ActionRunEntry, parseActionRun, parseRunList } from "./action-run";
import { type ForgejoConfig, type ResolvedForgejoConfig, resolveForgejoConfig } from "./forgejo-config";
import { type Attempt, DRIVER, ForgejoHttp, giveUp, malformedError } from "./forgejo-http";
import { gitRefSchema, runIdSchema, workflowFileSchema, workflowInputsSchema } from "./forgejo-names";

const dispatchSchema = z.object({
  workflow: workflowFileSchema,
  ref: gitRefSchema,
  inputs: workflowInputsSchema,
});
const followSchema = z.object({
  deadlineMs: z.number().int().min(1).max(86_400_000),
  pollMs: z.number().int().min(1).max(600_000).optional(),
});
const dispatchReplySchema = z.object({
  id: z.number().int().positive(),
  run_number: z.number().int().optional(),
  jobs: z.array(z.string()).nullable().optional(),
});

const DISPATCH_EVENT = "workflow_dispatch";
/** Added to the hint when an Actions answer is not Forgejo's. */
const ACTIONS_HINT = " and the server runs Forgejo Actions";

const isFinal = (run: PipelineRun) => FINAL_RUN_STATUSES.includes(run.status);

/**
 * `Pipeline` over Forgejo Actions: dispatch a workflow by file name with string inputs
 * (asking for the run with `return_run_info`, else finding it in the runs list by
 * workflow, event and time), follow a run to its final status, cancel it.
 * Build it with {@link createForgejoPipeline}.
 */
export class ForgejoPipeline implements Pipeline {
  /** The driver's name. */
  readonly name = DRIVER;
  readonly #http: ForgejoHttp;
  readonly #config: ResolvedForgejoConfig;
  readonly #owner: string;
  readonly #repo: string;

  /** Use {@link createForgejoPipeline}, which validates the config. */
  constructor(http: ForgejoHttp, config: ResolvedForgejoConfig, owner: string, repo: string) {
    this.#http = http;
    this.#config = config;
    this.#owner = owner;
    this.#repo = repo;
  }

  /**
   * Dispatches `request.workflow` on `request.ref`. A dispatch is not idempotent: it is
   * re-sent only when the first attempt never reached the server.
   */
  dispatch(request: DispatchRequest): ResultAsync<PipelineRun, DriverError> {
    return this.#run(async () => {
      const valid = parseInput(dispatchSchema, request, { driver: DRIVER, op: "dispatch" });
      if (valid.isErr()) return err(valid.error);
      const { workflow, ref, inputs } = valid.value;
      const before = await this.#listRuns("dispatch", workflow);
      if (before.isErr()) return err(before.error);
      const known = new Set(before.value.map((r) => r.run.id));
      const started = Date.now();
      const url = this.#actionsUrl(["workflows", workflow, "dispatches"]);
      const body = JSON.stringify({
        ref,
        inputs,
        ...(this.#config.returnRunInfo ? { return_run_info: true } : {}),
      });
      const sent = await this.#http.retrying(
        "dispatch",
        async (n): Promise<Attempt<ActionRunEntry | null>> => {
          const res = await this.#http.send({
            op: "dispatch",
            method: "POST",
            url,
            attempt: n,
            headers: { "content-type": "application/json" },
            body,
          });
          if (res.kind === "transport") {
            const hint = res.notSent
              ? undefined
              : `the dispatch may have started a run: check ${workflow}'s runs before dispatching again`;
            return {
              ok: false,
              error: this.#http.transportError("dispatch", "POST", url, res, hint),
              retryable: res.notSent && res.transient,
            };
          }
          if (res.status === 204) {
            await res.body.dump();
            return { ok: true, value: null };
          }
          if (res.status === 201 || res.status === 200) {
            const reply = dispatchReplySchema.safeParse(await this.#http.json(res));
            if (!reply.success) return { ok: true, value: null };
            const { id, run_number } = reply.data;
            const run: PipelineRun = {
              id,
              ...(run_number === undefined ? {} : { runNumber: run_number }),
              status: "unknown",
            };
            return { ok: true, value: { run, workflow, event: DISPATCH_EVENT, createdMs: undefined } };
          }
          const hint =
            res.status === 404
              ? `no workflow ${workflow} at ${ref} in ${this.#owner}/${this.#repo}: check the file name under .forgejo/workflows and the ref`
              : res.status >= 500
                ? `the dispatch may have started a run: check ${workflow}'s runs before dispatching again`
                : undefined;
          return giveUp(await this.#http.statusError("dispatch", "POST", res, hint));
        },
      );
      if (sent.isErr()) return err(sent.error);
      if (sent.value !== null) {
        const now = await this.#getRun("dispatch", sent.value.run.id);
        return ok(now.isOk() ? { ...sent.value.run, ...now.value } : sent.value.run);
      }
      return this.#findDispatchedRun(workflow, known, started);
    });
  }

  /** One run's current state; `not_found` for an unknown id. */
  getRun(id: number): ResultAsync<PipelineRun, DriverError> {
    return this.#run(async () => {
      const valid = parseInput(runIdSchema, id, { driver: DRIVER, op: "getRun" });
      return valid.isErr() ? err(valid.error) : this.#getRun("getRun", valid.value);
    });
  }

  /**
   * Polls the run until it is final (`failure` is a value, not an error); `timeout` past
   * the deadline, `aborted` when the signal fires. Transient poll failures are retried
   * until the deadline.
   */
  follow(id: number, options: FollowOptions): ResultAsync<PipelineRun, DriverError> {
    return this.#run(async () => {
      const validId = parseInput(runIdSchema, id, { driver: DRIVER, op: "follow" });
      if (validId.isErr()) return err(validId.error);
      const validOptions = parseInput(followSchema, options, { driver: DRIVER, op: "follow" });
      if (validOptions.isErr()) return err(validOptions.error);
      const { deadlineMs } = validOptions.value;
      const pollMs = validOptions.value.pollMs ?? 2_000;
      const deadline = Date.now() + deadlineMs;
      let last: PipelineRun | undefined;
      let lastError: DriverError | undefined;
      for (;;) {
        if (options.signal?.aborted) return err(this.#aborted(id, last));
        const got = await this.#getRun("follow", id, options.signal);
        if (got.isErr()) {
          if (got.error.reason === "aborted") return err(this.#aborted(id, last));
          if (got.error.reason !== "unavailable" && got.error.reason !== "timeout") return err(got.error);
          lastError = got.error;
        } else {
          lastError = undefined;
          if (got.value.status !== last?.status) {
            try {
              options.onStatus?.(got.value);
            } catch {
              // an observer's failure must not stop the follow
            }
          }
          last = got.value;
          if (isFinal(last)) return ok(last);
        }
        if (Date.now() + pollMs > deadline) {
          const where = last?.url ? ` (${last.url})` : "";
          return err(
            driverError({
              driver: DRIVER,
              op: "follow",
              reason: "timeout",
              message: `run ${id} is still ${last?.status ?? "not readable"} after ${deadlineMs} ms${where}${lastError ? `; last poll: ${lastError.message}` : ""}`,
              hint: "the run goes on without us: watch it in Forgejo Actions, follow it again, or cancel it",
              details: { runId: id, status: last?.status ?? "unknown", deadlineMs },
            }),
          );
        }
        try {
          await sleep(pollMs, undefined, options.signal ? { signal: options.signal } : undefined);
        } catch {
          return err(this.#aborted(id, last));
        }
      }
    });
  }

  /** Cancels a run; a no-op when it already finished; `not_found` for an unknown id. */
  cancel(id: number): ResultAsync<void, DriverError> {
    return this.#run(async () => {
      const valid = parseInput(runIdSchema, id, { driver: DRIVER, op: "cancel" });
      if (valid.isErr()) return err(valid.error);
      const url = this.#actionsUrl(["runs", String(valid.value), "cancel"]);
      const sent = await this.#http.retrying("cancel", async (n): Promise<Attempt<number>> => {
        const res = await this.#http.send({ op: "cancel", method: "POST", url, attempt: n });
        if (res.kind === "transport") {
          return this.#http.transportAttempt("cancel", "POST", url, res);
        }
        if (res.status >= 200 && res.status < 300) {
          await res.body.dump();
          return { ok: true, value: res.status };
        }
        if (res.status === 404 || res.status === 405) {
          await res.body.dump();
          return { ok: true, value: res.status };
        }
        return this.#http.statusAttempt("cancel", "POST", res);
      });
      if (sent.isErr()) return err(sent.error);
      if (sent.value < 300) return ok(undefined);
      const run = await this.#getRun("cancel", valid.value);
      if (run.isErr()) return err(run.error);
      if (isFinal(run.value)) return ok(undefined);
      return err(
        driverError({
          driver: DRIVER,
          op: "cancel",
          reason: "unsupported",
          message: `run ${id} exists but POST …/actions/runs/${id}/cancel answered ${sent.value}: this Forgejo has no cancel endpoint`,
          hint: "cancel the run from the Forgejo web UI",
          details: { runId: id, status: sent.value },
        }),
      );
    });
  }

  #run<T>(work: () => Promise<Result<T, DriverError>>): ResultAsync<T, DriverError> {
    return this.#http.guarded("pipeline", work);
  }

  #actionsUrl(segments: readonly string[], query: Record<string, string | number> = {}): URL {
    return this.#http.url(["api", "v1", "repos", this.#owner, this.#repo, "actions", ...segments], query);
  }

  #aborted(id: number, last: PipelineRun | undefined): DriverError {
    return driverError({
      driver: DRIVER,
      op: "follow",
      reason: "aborted",
      message: `stopped following run ${id} (last status ${last?.status ?? "unknown"}); the run itself goes on`,
      hint: "cancel the run if it must not continue",
      details: { runId: id, status: last?.status ?? "unknown" },
    });
  }

  async #getRun(op: string, id: number, signal?: AbortSignal): Promise<Result<PipelineRun, DriverError>> {
    const url = this.#actionsUrl(["runs", String(id)]);
    const got = await this.#http.retrying(
      op,
      async (n): Promise<Attempt<unknown>> => {
        const res = await this.#http.send({
          op,
          method: "GET",
          url,
          attempt: n,
          ...(signal ? { signal } : {}),
        });
        if (res.kind === "transport") {
          return this.#http.transportAttempt(op, "GET", url, res);
        }
        if (res.status !== 200) {
          const hint =
            res.status === 404
              ? `no run ${id} in ${this.#owner}/${this.#repo} (use the run id, not the run number)`
              : undefined;
          return this.#http.statusAttempt(op, "GET", res, hint);
        }
        return { ok: true, value: await this.#http.json(res) };
      },
      signal,
    );
    if (got.isErr()) return err(got.error);
    const run = parseActionRun(got.value);
    return run ? ok(run.run) : err(malformedError(op, `run ${id}`, ACTIONS_HINT));
  }

  async #listRuns(op: string, workflow: string): Promise<Result<ActionRunEntry[], DriverError>> {
    const url = this.#actionsUrl(["runs"], {
      workflow_id: workflow,
      event: DISPATCH_EVENT,
      limit: 50,
      page: 1,
    });
    const got = await this.#http.getJson(op, url);
    if (got.isErr()) return err(got.error);
    const list = parseRunList(got.value?.data);
    return list ? ok(list.runs) : err(malformedError(op, "the runs list", ACTIONS_HINT));
  }

  /** After a 204: the new `workflow_dispatch` run of `workflow` created since `started`. */
  async #findDispatchedRun(
    workflow: string,
    known: Set<number>,
    started: number,
  ): Promise<Result<PipelineRun, DriverError>> {
    const lookupEnds = Date.now() + this.#config.runLookupTimeoutMs;
    const since = started - this.#config.clockSkewMs;
    for (;;) {
      const listed = await this.#listRuns("dispatch", workflow);
      if (listed.isErr())
        return err({
          ...listed.error,
          hint: `the workflow was dispatched but its run could not be looked up: find it in ${workflow}'s runs`,
        });
      const candidates = listed.value
        .filter((r) => !known.has(r.run.id))
        .filter((r) => r.workflow === undefined || r.workflow === workflow)
        .filter((r) => r.event === undefined || r.event === DISPATCH_EVENT)
        .filter((r) => r.createdMs === undefined || r.createdMs >= since)
        .sort((a, b) => a.run.id - b.run.id);
      const found = candidates[0];
      if (found) return ok(found.run);
      if (Date.now() + this.#config.runLookupPollMs > lookupEnds) {
        return err(
          driverError({
            driver: DRIVER,
            op: "dispatch",
            reason: "timeout",
            message: `${workflow} was dispatched (204) but no new run appeared within ${this.#config.runLookupTimeoutMs} ms`,
            hint: `do not dispatch again blindly: look for the run in ${workflow}'s runs in Forgejo Actions`,
          }),
        );
      }
      await sleep(this.#config.runLookupPollMs);
    }
  }
}

/** Builds a {@link ForgejoPipeline}; needs `owner` (or `repoOwner`) and `repo`. */
export function createForgejoPipeline(config: ForgejoConfig): Result<ForgejoPipeline, DriverError> {
  const resolved = resolveForgejoConfig(config, "createPipeline");
  if (resolved.isErr()) return err(resolved.error);
  const { repoOwner, repo } = resolved.value;
  if (!repoOwner || !repo) {
    return err(
      invalidInput(
        DRIVER,
        "createPipeline",
        "repo and owner (or repoOwner): the repository whose Actions run the workflows",
      ),
    );
  }
  return ok(new ForgejoPipeline(new ForgejoHttp(resolved.value), resolved.value, repoOwner, repo));
}
