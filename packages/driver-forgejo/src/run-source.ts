import type { DriverError, PipelineRun } from "@backflip/core";
import { err, ok, type Result } from "neverthrow";
import { type ActionRunEntry, parseActionRun, parseRunList } from "./action-run";
import { type Attempt, type ForgejoHttp, malformedError } from "./forgejo-http";

/** The event of a dispatched run. */
export const DISPATCH_EVENT = "workflow_dispatch";
/** Added to the hint when an Actions answer is not Forgejo's. */
export const ACTIONS_HINT = " and the server runs Forgejo Actions";

/** Where a request of one pipeline operation stops: its signal and the caller's deadline. */
export interface RunQuery {
  readonly signal?: AbortSignal;
  /** Absolute ms: no retry starts after it. */
  readonly deadlineAt?: number;
}

/** How the pipeline lists and reads runs: the runs API (Forgejo ≥ 12) or the tasks list. */
export interface RunSource {
  /** The most recent runs (the newest page), of `workflow` when the server filters. */
  recent(op: string, workflow: string): Promise<Result<ActionRunEntry[], DriverError>>;
  /** One run by the id this source hands out; `not_found` when unknown. */
  get(op: string, id: number, query?: RunQuery): Promise<Result<PipelineRun, DriverError>>;
  /** The URL `recent` asks, for a dry run. */
  recentUrl(workflow: string): URL;
  /** The URL `get` asks first, `{id}` standing for the run's id where it holds one, for a dry run. */
  pollUrl(): string;
  /** Notes a run the driver dispatched (`jobs`: its job count, when the server said). */
  dispatched(id: number, jobs?: number): void;
}

/** A URL under `…/repos/{owner}/{repo}/actions/`. */
export type ActionsUrl = (segments: readonly string[], query?: Record<string, string | number>) => URL;

/** Runs through `GET …/actions/runs` and `GET …/actions/runs/{id}` (Forgejo ≥ 12); ids are run ids. */
export class ApiRunSource implements RunSource {
  readonly #http: ForgejoHttp;
  readonly #url: ActionsUrl;
  readonly #repo: string;
  readonly #filters: boolean;

  /** `filters`: the server honours `workflow_id` (Forgejo ≥ 15); else it is not sent. */
  constructor(http: ForgejoHttp, url: ActionsUrl, repo: string, filters: boolean) {
    this.#http = http;
    this.#url = url;
    this.#repo = repo;
    this.#filters = filters;
  }

  recentUrl(workflow: string): URL {
    return this.#url(["runs"], {
      ...(this.#filters ? { workflow_id: workflow } : {}),
      event: DISPATCH_EVENT,
      limit: 50,
      page: 1,
    });
  }

  pollUrl(): string {
    return `${this.#url(["runs"]).href}/{id}`;
  }

  async recent(op: string, workflow: string): Promise<Result<ActionRunEntry[], DriverError>> {
    const got = await this.#http.getJson(op, this.recentUrl(workflow));
    if (got.isErr()) return err(got.error);
    const list = parseRunList(got.value?.data);
    return list ? ok(list.runs) : err(malformedError(op, "the runs list", ACTIONS_HINT));
  }

  async get(op: string, id: number, query: RunQuery = {}): Promise<Result<PipelineRun, DriverError>> {
    const url = this.#url(["runs", String(id)]);
    const got = await this.#http.retrying(
      op,
      async (n): Promise<Attempt<unknown>> => {
        const res = await this.#http.send({
          op,
          method: "GET",
          url,
          attempt: n,
          ...(query.signal ? { signal: query.signal } : {}),
        });
        if (res.kind === "transport") return this.#http.transportAttempt(op, "GET", url, res);
        if (res.status !== 200) {
          const hint =
            res.status === 404
              ? `no run ${id} in ${this.#repo} (use the run id, not the run number)`
              : undefined;
          return this.#http.statusAttempt(op, "GET", res, hint);
        }
        return { ok: true, value: await this.#http.json(res) };
      },
      query.signal,
      query.deadlineAt,
    );
    if (got.isErr()) return err(got.error);
    const run = parseActionRun(got.value);
    return run ? ok(run.run) : err(malformedError(op, `run ${id}`, ACTIONS_HINT));
  }

  dispatched(): void {
    // the runs API shows every run from its creation
  }
}
