import * as z from "zod";
import { globalSchema, optional } from "../cli-args";
import { type Command, GLOBAL_HELP, validateOrFail } from "../command";
import { EXIT, EXIT_CODES_HELP, exitForDriverError } from "../exit-codes";
import { inspectLeases, livenessOf } from "../lease-report";
import { failDriver } from "../output";
import { listRuns } from "../run-list";
import { described } from "./table";

const schema = globalSchema.extend({
  limit: optional(
    z
      .string()
      .regex(/^[1-9][0-9]{0,4}$/, "expected a whole number ≥ 1")
      .transform(Number),
  ),
});

/** How many runs `runs` lists without `--limit`. */
const DEFAULT_LIMIT = 20;

/** `%prog runs`: the runs the (shared) journal holds, newest first — needs no target, only the store. */
export const runsCommand: Command = {
  ...described("runs"),
  positionals: 0,
  options: { limit: { type: "string" } },
  help: `Usage: %prog runs [options]

Lists the runs the coordination store's journal holds, newest first: run id, environment,
path, actor, start time and state — a finished run's outcome, or for an unfinished one
whether it is still running (its lease is live) or was interrupted (resume or revert it:
%prog resume <run-id>). Reads only the store, not the target: with a shared store
(--coordination incus or etcd) it lists every operator's runs, from any machine.

Options:
  --env NAME     only this environment's runs (default: every environment)
  --limit N      at most N runs (default ${DEFAULT_LIMIT})

${GLOBAL_HELP}

Examples:
  %prog runs
  %prog runs --env prod --limit 5
  %prog runs --coordination etcd --etcd-endpoints http://10.0.0.5:2379 --json | jq -r .runId

${EXIT_CODES_HELP}`,
  async run(raw, out, session) {
    const args = validateOrFail(out, "runs", schema, raw.values);
    if (!args) return EXIT.usage;
    const store = await session.coordination(args, out);
    if (typeof store === "number") return store;
    const listing = await listRuns(store.journal);
    if (listing.isErr()) return failDriver(out, exitForDriverError(listing.error), listing.error);
    const all = listing.value.runs.filter((r) => !args.env || r.intent.env === args.env);
    const runs = all.slice(0, args.limit ?? DEFAULT_LIMIT);
    const leases = await inspectLeases(store.lock, runs.map((r) => r.intent.env).sort());
    if (leases.isErr()) return failDriver(out, exitForDriverError(leases.error), leases.error);

    out.text(`coordination: ${store.description}`);
    out.text(
      all.length === 0
        ? `no runs${args.env ? ` on ${args.env}` : ""} in the journal`
        : `runs, newest first (${runs.length} of ${all.length}):`,
    );
    for (const run of runs) {
      const liveness = livenessOf(run, leases.value);
      const state =
        liveness === "finished"
          ? run.state
          : `${run.state}, ${liveness === "running" ? "running" : "INTERRUPTED: resume or revert it"}`;
      out.text(
        `  ${run.runId}  ${run.intent.env}  ${run.intent.path}  by ${run.intent.actor}  started ${run.startedAt}  ${state}`,
      );
      out.object({
        type: "run",
        runId: run.runId,
        env: run.intent.env,
        path: run.intent.path,
        actor: run.intent.actor,
        reason: run.intent.reason,
        owner: run.owner,
        startedAt: run.startedAt,
        durationMs: run.durationMs,
        state: run.state,
        liveness,
        ...(run.error ? { error: run.error } : {}),
      });
    }
    for (const u of listing.value.unreadable) {
      out.text(`  ${u.runId}  UNREADABLE: ${u.message}`);
      out.object({ type: "run", runId: u.runId, state: "unreadable", message: u.message });
    }
    return EXIT.ok;
  },
};
