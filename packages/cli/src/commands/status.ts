import { observe } from "@backflip/core/recipes";
import { globalSchema } from "../cli-args";
import { type Command, GLOBAL_HELP, validateOrFail } from "../command";
import { EXIT, EXIT_CODES_HELP, exitForDriverError } from "../exit-codes";
import { breakLine, inspectLeases, leaseBreaks, leaseLine, livenessOf } from "../lease-report";
import { failDriver } from "../output";
import { printFacts } from "../progress";
import { listRuns } from "../run-list";
import { described } from "./table";

/** `%prog status`: what the runbook's pre-checks look at, plus runs in flight and every environment's lease. */
export const statusCommand: Command = {
  ...described("status"),
  positionals: 0,
  options: {},
  help: `Usage: %prog status [options]

Shows, changing nothing: the active color and the live release; the public health; the
active-color history; every color's containers (RUNNING/Stopped/Missing, release); for
each SHA in the history whether its artifacts are still in the registry (and its
keep-N retention); the migration state; the runs the journal holds that never finished
(running under their lease, or interrupted: resume or revert them); and, for this
environment and every environment the journal has runs of, who holds its lease, since
when, and whether it is stale; on Incus also who broke stale leases, and when. With a
shared coordination store (--coordination incus or etcd) that is the whole team's view,
wherever each run was started.

${GLOBAL_HELP}

Examples:
  %prog status
  %prog status --coordination etcd --etcd-endpoints http://10.0.0.5:2379
  %prog status --env staging --json | jq .leases

${EXIT_CODES_HELP}`,
  async run(raw, out, session) {
    const args = validateOrFail(out, "status", globalSchema, raw.values);
    if (!args) return EXIT.usage;
    const target = await session.open(args, out);
    if (typeof target === "number") return target;
    const facts = await observe(target.topology, target.drivers, { probeAttempts: 1 });
    if (facts.isErr()) return failDriver(out, exitForDriverError(facts.error), facts.error);
    const env = target.topology.env;
    // the facts are worth showing even when the store cannot be read: that failure is reported after them
    const store = await listRuns(target.journal).andThen(({ runs, unreadable }) =>
      inspectLeases(target.lock, [env, ...runs.map((r) => r.intent.env)].sort()).andThen((leases) =>
        leaseBreaks(
          target.coordination,
          leases.map((l) => l.env),
        ).map((breaks) => ({ runs, unreadable, leases, breaks })),
      ),
    );
    const { runs, unreadable, leases, breaks } = store.unwrapOr({
      runs: [],
      unreadable: [],
      leases: [],
      breaks: [],
    });
    const inFlight = runs
      .map((run) => ({ run, liveness: livenessOf(run, leases) }))
      .filter((r) => r.liveness !== "finished");
    const retention = target.topology.registry?.retention;
    const now = new Date();

    out.text(`target: ${target.description}`);
    out.text(`coordination: ${target.coordination.description}`);
    printFacts(facts.value, out.text, { retention });
    if (store.isErr()) return failDriver(out, exitForDriverError(store.error), store.error);
    if (inFlight.length === 0) out.text("runs in flight: none");
    else out.text("runs in flight (unfinished in the journal):");
    for (const { run, liveness } of inFlight)
      out.text(
        `  ${run.runId}  ${run.intent.path} on ${run.intent.env}, ${run.state}, by ${run.intent.actor}, started ${run.startedAt} — ${liveness === "running" ? "running (its lease is live)" : "interrupted: resume or revert it"}`,
      );
    for (const u of unreadable) out.text(`  ${u.runId}  UNREADABLE: ${u.message}`);
    out.text("leases:");
    for (const lease of leases) out.text(`  ${leaseLine(lease, now)}`);
    if (breaks.length > 0) out.text("stale leases broken (recorded by the store):");
    for (const broken of breaks) out.text(`  ${breakLine(broken)}`);

    out.object({
      type: "status",
      target: target.kind,
      coordination: { kind: target.coordination.kind, shared: target.coordination.shared },
      facts: facts.value,
      retention,
      runsInFlight: inFlight.map(({ run, liveness }) => ({
        runId: run.runId,
        path: run.intent.path,
        env: run.intent.env,
        state: run.state,
        actor: run.intent.actor,
        startedAt: run.startedAt,
        liveness,
      })),
      unreadableRuns: unreadable,
      lock: leases.find((l) => l.env === env)?.lease ?? null,
      leases,
      leaseBreaks: breaks,
    });
    return EXIT.ok;
  },
};
