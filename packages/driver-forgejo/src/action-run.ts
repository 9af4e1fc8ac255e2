import { type PipelineRun, RUN_STATUSES, type RunStatus } from "@backflip/core";
import { lazySchema } from "@backflip/core/driver-kit";
import * as z from "zod";

/** The fields the driver reads from Forgejo's `ActionRun` JSON. */
export interface ActionRunEntry {
  readonly run: PipelineRun;
  /** The workflow file name (`workflow_id`). */
  readonly workflow: string | undefined;
  readonly event: string | undefined;
  /** Creation time in ms since the epoch, when given. */
  readonly createdMs: number | undefined;
}

const runSchema = lazySchema(() =>
  z.object({
    id: z.number().int().positive(),
    index_in_repo: z.number().int().optional(),
    run_number: z.number().int().optional(),
    status: z.string().optional(),
    conclusion: z.string().nullable().optional(),
    workflow_id: z.string().optional(),
    event: z.string().optional(),
    trigger_event: z.string().optional(),
    created: z.string().optional(),
    html_url: z.string().optional(),
  }),
);

/**
 * A run's status. Forgejo returns its raw status; Gitea-style `status` + `conclusion`
 * pairs (queued, in_progress, completed…) are mapped onto the same set; anything else is
 * `unknown`.
 */
export function runStatus(status: string | undefined, conclusion?: string | null): RunStatus {
  const s = (status ?? "").toLowerCase();
  if ((RUN_STATUSES as readonly string[]).includes(s)) return s as RunStatus;
  if (s === "completed") {
    const c = (conclusion ?? "").toLowerCase();
    if (c === "success" || c === "failure" || c === "cancelled" || c === "skipped") return c;
    return c === "timed_out" || c === "action_required" ? "failure" : "unknown";
  }
  if (s === "in_progress") return "running";
  if (s === "queued" || s === "pending" || s === "requested") return "waiting";
  return "unknown";
}

/** Parses one `ActionRun`; `null` when it lacks an id. */
export function parseActionRun(data: unknown): ActionRunEntry | null {
  const parsed = runSchema.safeParse(data);
  if (!parsed.success) return null;
  const r = parsed.data;
  const runNumber = r.index_in_repo ?? r.run_number;
  const created = r.created === undefined ? Number.NaN : Date.parse(r.created);
  return {
    run: {
      id: r.id,
      ...(runNumber === undefined ? {} : { runNumber }),
      status: runStatus(r.status, r.conclusion),
      ...(r.html_url ? { url: r.html_url } : {}),
    },
    workflow: r.workflow_id,
    event: r.event ?? r.trigger_event,
    createdMs: Number.isNaN(created) ? undefined : created,
  };
}

/** Parses `{workflow_runs, total_count}`; `null` when malformed. */
export function parseRunList(data: unknown): { runs: ActionRunEntry[]; total: number } | null {
  const parsed = z
    .object({ workflow_runs: z.array(z.unknown()).nullable(), total_count: z.number().optional() })
    .safeParse(data);
  if (!parsed.success) return null;
  const runs = (parsed.data.workflow_runs ?? []).map(parseActionRun).filter((r) => r !== null);
  return { runs, total: parsed.data.total_count ?? runs.length };
}
