import { setTimeout as sleep } from "node:timers/promises";
import {
  type Action,
  type DispatchRequest,
  type DriverError,
  driverError,
  FINAL_RUN_STATUSES,
  type FollowOptions,
  type Pipeline,
  type PipelineOperation,
  type PipelineRun,
} from "@backflip/core";
import { invalidInput, lazySchema, parseInput } from "@backflip/core/driver-kit";
import { err, ok, type Result, type ResultAsync } from "neverthrow";
import * as z from "zod";
import { afterFailedDispatch, type DispatchLookup, findDispatchedRun } from "./dispatched-run";
import { httpAction, noteAction, refusedAction } from "./dry-run";
import { type ForgejoConfig, type ResolvedForgejoConfig, resolveForgejoConfig } from "./forgejo-config";
import { type Attempt, DRIVER, ForgejoHttp, giveUp } from "./forgejo-http";
import { gitRefSchema, runIdSchema, workflowFileSchema, workflowInputsSchema } from "./forgejo-names";
import {
  capabilitiesOf,
  type ForgejoCapabilities,
  type ServerVersion,
  unsupportedError,
} from "./forgejo-version";
import { ApiRunSource, type RunSource } from "./run-source";
import { TaskRunSource } from "./task-run-source";
import { VersionProbe } from "./version-probe";

const dispatchSchema = lazySchema(() =>
  z.object({
    workflow: workflowFileSchema,
    ref: gitRefSchema,
    inputs: workflowInputsSchema,
  }),
);
const followSchema = lazySchema(() =>
  z.object({
    deadlineMs: z.number().int().min(1).max(86_400_000),
    pollMs: z.number().int().min(1).max(600_000).optional(),
  }),
);
const dispatchReplySchema = lazySchema(() =>
  z.object({
    id: z.number().int().positive(),
    run_number: z.number().int().positive().optional(),
    jobs: z.array(z.string()).nullable().optional(),
  }),
);

const isFinal = (run: PipelineRun) => FINAL_RUN_STATUSES.includes(run.status);

/** What the driver knows of the server for one operation. */
interface Server {
  readonly version: ServerVersion | null;
  readonly caps: ForgejoCapabilities;
  readonly runs: RunSource;
}

/** How a dispatch attempt ended when it did not succeed, for the check that follows. */
interface DispatchFailure {
  /** The request may have reached the server (a 5xx, or a connection cut after sending). */
  maybeReached: boolean;
}

/**
 * `Pipeline` over Forgejo Actions, across Forgejo 8 → 16 and Gitea. It learns the server's
 * version once (`GET /api/v1/version`) and picks per capability: runs through the runs API
 * (Forgejo ≥ 12, run ids) or the tasks list (older servers, run numbers); `return_run_info`
 * (≥ 11) or finding the new run by workflow, event and time; cancel (≥ 16). A capability
 * the server lacks is `unsupported`, naming the version and the manual fallback.
 * Build it with {@link createForgejoPipeline}.
 */
export class ForgejoPipeline implements Pipeline {
  /** The driver's name. */
  readonly name = DRIVER;
  readonly #http: ForgejoHttp;
  readonly #config: ResolvedForgejoConfig;
  readonly #owner: string;
  readonly #repo: string;
  readonly #probe: VersionProbe;
  readonly #sources: {
    readonly filtered: RunSource;
    readonly unfiltered: RunSource;
    readonly tasks: RunSource;
  };

  /** Use {@link createForgejoPipeline}, which validates the config. */
  constructor(http: ForgejoHttp, config: ResolvedForgejoConfig, owner: string, repo: string) {
    this.#http = http;
    this.#config = config;
    this.#owner = owner;
    this.#repo = repo;
    this.#probe = new VersionProbe(http);
    const url = (segments: readonly string[], query: Record<string, string | number> = {}) =>
      this.#actionsUrl(segments, query);
    const where = `${owner}/${repo}`;
    this.#sources = {
      filtered: new ApiRunSource(http, url, where, true),
      unfiltered: new ApiRunSource(http, url, where, false),
      tasks: new TaskRunSource(http, url, where),
    };
  }

  /**
   * The server's version (`null` when it does not say) and what it can do, as this
   * pipeline uses it: asked once per pipeline, then remembered.
   */
  server(): ResultAsync<{ version: ServerVersion | null; capabilities: ForgejoCapabilities }, DriverError> {
    return this.#run(async () =>
      (await this.#server("server")).map(({ version, caps }) => ({ version, capabilities: caps })),
    );
  }

  /**
   * Dispatches `request.workflow` on `request.ref`. A dispatch is not idempotent: it is
   * re-sent only when the first attempt never reached the server (or a proxy answered 429).
   * After a 5xx the runs are checked: a new run is the dispatch's; none means the workflow
   * or ref was not found (Forgejo's 500) or the server failed.
   */
  dispatch(request: DispatchRequest): ResultAsync<PipelineRun, DriverError> {
    return this.#run(async () => {
      const valid = parseInput(dispatchSchema, request, { driver: DRIVER, op: "dispatch" });
      if (valid.isErr()) return err(valid.error);
      const { workflow, ref, inputs } = valid.value;
      const server = await this.#server("dispatch");
      if (server.isErr()) return err(server.error);
      const { version, caps, runs } = server.value;
      if (!caps.dispatch && version) return err(this.#noDispatch(version, workflow, ref));
      const before = await runs.recent("dispatch", workflow);
      if (before.isErr()) return err(before.error);
      const known = new Set(before.value.map((r) => r.run.id));
      const started = Date.now();
      const url = this.#actionsUrl(["workflows", workflow, "dispatches"]);
      const askRunInfo = this.#config.returnRunInfo && caps.returnRunInfo;
      const body = JSON.stringify({ ref, inputs, ...(askRunInfo ? { return_run_info: true } : {}) });
      const failure: DispatchFailure = { maybeReached: false };
      const sent = await this.#http.retrying(
        "dispatch",
        async (n): Promise<Attempt<{ id: number; runNumber?: number; jobs?: number } | null>> => {
          const res = await this.#http.send({
            op: "dispatch",
            method: "POST",
            url,
            attempt: n,
            headers: { "content-type": "application/json" },
            body,
          });
          if (res.kind === "transport") {
            failure.maybeReached ||= !res.notSent;
            return {
              ok: false,
              error: this.#http.transportError("dispatch", "POST", url, res),
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
            const { id, run_number, jobs } = reply.data;
            return {
              ok: true,
              value: {
                id,
                ...(run_number === undefined ? {} : { runNumber: run_number }),
                ...(jobs ? { jobs: jobs.length } : {}),
              },
            };
          }
          // A proxy's 429 refused the request before Forgejo saw it: wait and send again.
          if (res.status === 429) return this.#http.statusAttempt("dispatch", "POST", res);
          failure.maybeReached ||= res.status >= 500;
          const hint =
            res.status === 404
              ? `no ref ${ref} in ${this.#owner}/${this.#repo}: check the ref (a full refs/… name must resolve)`
              : undefined;
          return giveUp(await this.#http.statusError("dispatch", "POST", res, hint));
        },
      );
      const lookup: DispatchLookup = {
        runs,
        workflow,
        ref,
        known,
        started,
        clockSkewMs: this.#config.clockSkewMs,
        repo: `${this.#owner}/${this.#repo}`,
        actionsPage: this.#actionsPage(),
        listedOnPickup: runs === this.#sources.tasks,
      };
      if (sent.isErr()) {
        if (!failure.maybeReached) return err(sent.error);
        const found = await afterFailedDispatch(lookup, sent.error);
        if (found.isOk()) runs.dispatched(found.value.id);
        return found;
      }
      const reply = sent.value;
      const id = reply === null ? undefined : lookup.listedOnPickup ? reply.runNumber : reply.id;
      if (reply === null || id === undefined) {
        const { runLookupTimeoutMs, runLookupPollMs } = this.#config;
        const found = await findDispatchedRun(lookup, runLookupTimeoutMs, runLookupPollMs);
        if (found.isOk()) runs.dispatched(found.value.id);
        return found;
      }
      runs.dispatched(id, reply.jobs);
      const run: PipelineRun = {
        id,
        ...(reply.runNumber === undefined ? {} : { runNumber: reply.runNumber }),
        status: "unknown",
      };
      const now = await runs.get("dispatch", id);
      return ok(now.isOk() ? { ...run, ...now.value } : run);
    });
  }

  /** One run's current state; `not_found` for an unknown id. */
  getRun(id: number): ResultAsync<PipelineRun, DriverError> {
    return this.#run(async () => {
      const valid = parseInput(runIdSchema, id, { driver: DRIVER, op: "getRun" });
      if (valid.isErr()) return err(valid.error);
      const server = await this.#server("getRun");
      return server.isErr() ? err(server.error) : server.value.runs.get("getRun", valid.value);
    });
  }

  /**
   * Polls the run until it is final (`failure` is a value, not an error); `timeout` past
   * the deadline, `aborted` when the signal fires. Transient poll failures are retried
   * until the deadline (a `Retry-After` is honoured within it).
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
      const server = await this.#server("follow");
      if (server.isErr()) return err(server.error);
      const { runs } = server.value;
      let last: PipelineRun | undefined;
      let lastError: DriverError | undefined;
      for (;;) {
        if (options.signal?.aborted) return err(this.#aborted(id, last));
        const got = await runs.get("follow", id, {
          deadlineAt: deadline,
          ...(options.signal ? { signal: options.signal } : {}),
        });
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
        // A server that asked to be left alone (Retry-After) is polled no sooner.
        const asked = lastError?.details?.retryAfterMs;
        const wait = Math.max(pollMs, typeof asked === "number" ? asked : 0);
        if (Date.now() + wait > deadline) {
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
          await sleep(wait, undefined, options.signal ? { signal: options.signal } : undefined);
        } catch {
          return err(this.#aborted(id, last));
        }
      }
    });
  }

  /**
   * Cancels a run; a no-op when it already finished; `not_found` for an unknown id;
   * `unsupported` for an unfinished run on a server without the cancel endpoint
   * (Forgejo < 16, Gitea).
   */
  cancel(id: number): ResultAsync<void, DriverError> {
    return this.#run(async () => {
      const valid = parseInput(runIdSchema, id, { driver: DRIVER, op: "cancel" });
      if (valid.isErr()) return err(valid.error);
      const server = await this.#server("cancel");
      if (server.isErr()) return err(server.error);
      const { version, caps, runs } = server.value;
      const manual = `cancel run ${id} from the Actions UI (${this.#actionsPage()})`;
      if (!caps.cancel && version) {
        // A finished run needs no endpoint: cancelling it is a no-op on every server.
        const run = await runs.get("cancel", valid.value);
        if (run.isErr()) return err(run.error);
        if (isFinal(run.value)) return ok(undefined);
        return err(unsupportedError("cancel", "run cancel endpoint", "cancel", version, manual));
      }
      const url = this.#actionsUrl(["runs", String(valid.value), "cancel"]);
      const sent = await this.#http.retrying("cancel", async (n): Promise<Attempt<number>> => {
        const res = await this.#http.send({ op: "cancel", method: "POST", url, attempt: n });
        if (res.kind === "transport") {
          return this.#http.transportAttempt("cancel", "POST", url, res);
        }
        if (res.status < 300 || res.status === 404 || res.status === 405) {
          await res.body.dump();
          return { ok: true, value: res.status };
        }
        return this.#http.statusAttempt("cancel", "POST", res);
      });
      if (sent.isErr()) return err(sent.error);
      if (sent.value < 300) return ok(undefined);
      const run = await runs.get("cancel", valid.value);
      if (run.isErr()) return err(run.error);
      if (isFinal(run.value)) return ok(undefined);
      return err(
        driverError({
          driver: DRIVER,
          op: "cancel",
          reason: "unsupported",
          message: `run ${id} exists but POST …/actions/runs/${id}/cancel answered ${sent.value}: this server has no cancel endpoint`,
          hint: manual,
          details: { runId: id, status: sent.value },
        }),
      );
    });
  }

  /**
   * The dry run of a call: its requests with the real URLs for the server's version (the
   * token travels in a header, never shown). Before the version is learnt it is the newest
   * form, after the version request, with a note that older servers are followed through
   * the tasks list. A dispatch the driver would refuse is a note saying why.
   */
  describe(operation: PipelineOperation): readonly Action[] {
    const version = this.#probe.learnt();
    const caps = capabilitiesOf(version ?? null);
    const runs = this.#sourceFor(caps);
    let actions: Action[];
    if (operation.op === "follow") actions = this.#describeFollow(runs, operation.pollMs);
    else {
      const valid = parseInput(dispatchSchema, operation.request, { driver: DRIVER, op: "dispatch" });
      if (valid.isErr()) return [refusedAction("dispatch", valid.error)];
      actions = this.#describeDispatch(valid.value, version ?? null, caps, runs);
    }
    if (version !== undefined) return actions;
    return [
      this.#get(this.#probe.url()),
      ...actions,
      noteAction(
        `the server's version is not known yet: this is the newest Forgejo's form; older servers (Forgejo < 12, Gitea) are followed through the tasks list (GET ${this.#sources.tasks.pollUrl()})`,
      ),
    ];
  }

  /** A GET of the dry run. */
  #get(url: URL | string): Action {
    return httpAction(this.#http.redactor, "GET", url);
  }

  /** A follow's polls: one run by id, or the tasks list on older servers. */
  #describeFollow(runs: RunSource, pollMs: number): Action[] {
    const byTasks = runs === this.#sources.tasks;
    return [
      this.#get(runs.pollUrl()),
      noteAction(
        byTasks
          ? `the run (its run number) is read from the tasks list, newest first, every ${pollMs} ms until it ends`
          : `{id} is the run id the dispatch returned; read every ${pollMs} ms until the run ends`,
      ),
    ];
  }

  /** A dispatch's requests: the runs before it, the POST and its body, then the new run's lookup. */
  #describeDispatch(
    request: DispatchRequest,
    version: ServerVersion | null,
    caps: ForgejoCapabilities,
    runs: RunSource,
  ): Action[] {
    const { workflow, ref, inputs } = request;
    if (!caps.dispatch && version) {
      const refused = this.#noDispatch(version, workflow, ref);
      return [noteAction(`the dispatch would be refused: ${refused.message}; ${refused.hint}`)];
    }
    const askRunInfo = this.#config.returnRunInfo && caps.returnRunInfo;
    const body = JSON.stringify({ ref, inputs, ...(askRunInfo ? { return_run_info: true } : {}) });
    const { runLookupTimeoutMs, runLookupPollMs } = this.#config;
    return [
      this.#get(runs.recentUrl(workflow)),
      httpAction(this.#http.redactor, "POST", this.#actionsUrl(["workflows", workflow, "dispatches"])),
      noteAction(`the POST's body (application/json): ${body}`),
      ...(askRunInfo
        ? [this.#get(runs.pollUrl())]
        : [
            this.#get(runs.recentUrl(workflow)),
            noteAction(
              `the runs are listed again every ${runLookupPollMs} ms, up to ${runLookupTimeoutMs} ms, until the new run shows`,
            ),
          ]),
    ];
  }

  #run<T>(work: () => Promise<Result<T, DriverError>>): ResultAsync<T, DriverError> {
    return this.#http.guarded("pipeline", work);
  }

  async #server(op: string): Promise<Result<Server, DriverError>> {
    const version = await this.#probe.get(op);
    if (version.isErr()) return err(version.error);
    const caps = capabilitiesOf(version.value);
    return ok({ version: version.value, caps, runs: this.#sourceFor(caps) });
  }

  /** How runs are read on a server with `caps`. */
  #sourceFor(caps: ForgejoCapabilities): RunSource {
    if (!caps.runsApi) return this.#sources.tasks;
    return caps.runFilters ? this.#sources.filtered : this.#sources.unfiltered;
  }

  #actionsUrl(segments: readonly string[], query: Record<string, string | number> = {}): URL {
    return this.#http.url(["api", "v1", "repos", this.#owner, this.#repo, "actions", ...segments], query);
  }

  /** `unsupported`: the server has no dispatch API; the hint is the Actions UI's "Run workflow". */
  #noDispatch(version: ServerVersion, workflow: string, ref: string): DriverError {
    return unsupportedError(
      "dispatch",
      "workflow dispatch API",
      "dispatch",
      version,
      `open the Actions UI (${this.#actionsPage()}) and use "Run workflow" on ${workflow} at ${ref} with the same inputs`,
    );
  }

  /** The repository's Actions page, for the manual fallbacks. */
  #actionsPage(): string {
    return this.#http.redactor.url(this.#http.url([this.#owner, this.#repo, "actions"]));
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
