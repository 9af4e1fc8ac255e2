import { type DriverError, driverError, type PipelineRun } from "@backflip/core";
import { err, ok, type Result } from "neverthrow";
import type { ActionRunEntry } from "./action-run";
import { type ActionTaskEntry, parseTaskList, runsFromTasks } from "./action-tasks";
import { DRIVER, type ForgejoHttp, malformedError } from "./forgejo-http";
import { ACTIONS_HINT, type ActionsUrl, type RunQuery, type RunSource } from "./run-source";

const PAGE = 50;
/** Pages of tasks read at most to find an older run. */
const MAX_PAGES = 20;

/**
 * Runs through `GET …/actions/tasks` (Forgejo 8–11, Gitea), which lists the jobs runners
 * picked up, newest first. A run's id here is its run number (tasks show no run ids), and
 * a run shows only once a runner picked up one of its jobs: until then a run this driver
 * dispatched reads as `waiting`, any other as `not_found`.
 */
export class TaskRunSource implements RunSource {
  readonly #http: ForgejoHttp;
  readonly #url: ActionsUrl;
  readonly #repo: string;
  /** Run numbers this driver dispatched, with their job counts when known. */
  readonly #jobs = new Map<number, number>();
  readonly #mine = new Set<number>();

  constructor(http: ForgejoHttp, url: ActionsUrl, repo: string) {
    this.#http = http;
    this.#url = url;
    this.#repo = repo;
  }

  async recent(op: string): Promise<Result<ActionRunEntry[], DriverError>> {
    const page = await this.#page(op, 1);
    return page.map((tasks) => runsFromTasks(tasks, this.#jobs));
  }

  async get(op: string, id: number, query: RunQuery = {}): Promise<Result<PipelineRun, DriverError>> {
    const found: ActionTaskEntry[] = [];
    for (let page = 1; page <= MAX_PAGES; page++) {
      const tasks = await this.#page(op, page, query);
      if (tasks.isErr()) return err(tasks.error);
      found.push(...tasks.value.filter((t) => t.runNumber === id));
      // Newest task first (`id` DESC): once a whole page is older runs, so is the rest.
      const onlyOlder = tasks.value.every((t) => t.runNumber < id);
      if (tasks.value.length < PAGE || onlyOlder) break;
    }
    const run = runsFromTasks(found, this.#jobs)[0]?.run;
    if (run) return ok(run);
    if (this.#mine.has(id)) return ok({ id, runNumber: id, status: "waiting" });
    return err(
      driverError({
        driver: DRIVER,
        op,
        reason: "not_found",
        message: `no run number ${id} among ${this.#repo}'s Actions tasks`,
        hint: "on this server a run is the run number, and it shows only once a runner picked up one of its jobs: check the Actions UI",
        details: { runId: id },
      }),
    );
  }

  recentUrl(): URL {
    return this.#pageUrl(1);
  }

  pollUrl(): string {
    return this.#pageUrl(1).href;
  }

  dispatched(id: number, jobs?: number): void {
    this.#mine.add(id);
    if (jobs !== undefined) this.#jobs.set(id, jobs);
  }

  #pageUrl(page: number): URL {
    return this.#url(["tasks"], { limit: PAGE, page });
  }

  async #page(
    op: string,
    page: number,
    query: RunQuery = {},
  ): Promise<Result<ActionTaskEntry[], DriverError>> {
    const got = await this.#http.getJson(op, this.#pageUrl(page), query);
    if (got.isErr()) return err(got.error);
    const list = parseTaskList(got.value?.data);
    return list ? ok(list.tasks) : err(malformedError(op, "the Actions tasks list", ACTIONS_HINT));
  }
}
