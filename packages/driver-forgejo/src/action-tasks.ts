import { FINAL_RUN_STATUSES, type RunStatus } from "@backflip/core";
import { lazySchema } from "@backflip/core/driver-kit";
import * as z from "zod";
import { type ActionRunEntry, runStatus } from "./action-run";

/** One `ActionTask` (a job a runner picked up) as the driver reads it. */
export interface ActionTaskEntry {
  /** The task id: a job's re-run is a newer task of the same job. */
  readonly id: number;
  /** The job's name. */
  readonly job: string | undefined;
  readonly runNumber: number;
  readonly status: RunStatus;
  readonly workflow: string | undefined;
  readonly event: string | undefined;
  readonly createdMs: number | undefined;
  /** The run's page (`…/actions/runs/{run_number}`). */
  readonly url: string | undefined;
}

const taskSchema = lazySchema(() =>
  z.object({
    id: z.number().int(),
    name: z.string().optional(),
    run_number: z.number().int().positive(),
    status: z.string().optional(),
    workflow_id: z.string().optional(),
    event: z.string().optional(),
    url: z.string().optional(),
    created_at: z.string().optional(),
  }),
);

/**
 * Parses `GET …/actions/tasks` (`{workflow_runs: [ActionTask], total_count}`, Forgejo ≥ 8,
 * Gitea ≥ 1.22); `null` when malformed. Entries without a run number are dropped.
 */
export function parseTaskList(data: unknown): { tasks: ActionTaskEntry[]; total: number } | null {
  const parsed = z
    .object({ workflow_runs: z.array(z.unknown()).nullable(), total_count: z.number().optional() })
    .safeParse(data);
  if (!parsed.success) return null;
  const tasks: ActionTaskEntry[] = [];
  for (const raw of parsed.data.workflow_runs ?? []) {
    const t = taskSchema.safeParse(raw);
    if (!t.success) continue;
    const created = t.data.created_at === undefined ? Number.NaN : Date.parse(t.data.created_at);
    tasks.push({
      id: t.data.id,
      job: t.data.name,
      runNumber: t.data.run_number,
      status: runStatus(t.data.status),
      workflow: t.data.workflow_id,
      event: t.data.event,
      createdMs: Number.isNaN(created) ? undefined : created,
      url: t.data.url,
    });
  }
  return { tasks, total: parsed.data.total_count ?? tasks.length };
}

const isFinal = (s: RunStatus) => FINAL_RUN_STATUSES.includes(s);

/**
 * A run's status from its jobs' tasks: running while any job is, else the first
 * non-final one; once all are final, failure over cancelled over success over skipped.
 * With fewer tasks than `jobs` and nothing failed, the run still has jobs to start.
 */
export function aggregateStatus(statuses: readonly RunStatus[], jobs?: number): RunStatus {
  const pending = statuses.filter((s) => !isFinal(s));
  if (statuses.length === 0) return "waiting";
  if (pending.length > 0) return pending.includes("running") ? "running" : (pending[0] ?? "waiting");
  if (statuses.includes("failure")) return "failure";
  if (statuses.includes("cancelled")) return "cancelled";
  if (jobs !== undefined && statuses.length < jobs) return "running";
  return statuses.includes("success") ? "success" : "skipped";
}

/** Each job's latest attempt: a re-run job's older tasks no longer count. */
function latestPerJob(group: readonly ActionTaskEntry[]): ActionTaskEntry[] {
  const byJob = new Map<string, ActionTaskEntry>();
  for (const t of group) {
    const key = t.job ?? `#${t.id}`;
    const seen = byJob.get(key);
    if (!seen || seen.id < t.id) byJob.set(key, t);
  }
  return [...byJob.values()];
}

/**
 * Groups tasks into runs (the run's id is its run number: the tasks API shows no run
 * ids), each job counted by its latest attempt. `jobs` gives the job count of runs the
 * driver dispatched, when known.
 */
export function runsFromTasks(
  tasks: readonly ActionTaskEntry[],
  jobs: ReadonlyMap<number, number> = new Map(),
): ActionRunEntry[] {
  const byRun = new Map<number, ActionTaskEntry[]>();
  for (const t of tasks) byRun.set(t.runNumber, [...(byRun.get(t.runNumber) ?? []), t]);
  return [...byRun.entries()].map(([runNumber, all]) => {
    const group = latestPerJob(all);
    const first = group[0] as ActionTaskEntry;
    const created = group.map((t) => t.createdMs).filter((c) => c !== undefined);
    return {
      run: {
        id: runNumber,
        runNumber,
        status: aggregateStatus(
          group.map((t) => t.status),
          jobs.get(runNumber),
        ),
        ...(first.url ? { url: first.url } : {}),
      },
      workflow: first.workflow,
      event: first.event,
      createdMs: created.length ? Math.min(...created) : undefined,
    };
  });
}
