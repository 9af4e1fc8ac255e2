import { loadRun, type RunReport, TERMINAL_STATES } from "@backflip/core";
import { observe } from "@backflip/core/recipes";
import { ResultAsync } from "neverthrow";
import { printFacts, printInFlight } from "../../lib/progress";
import { globalSchema } from "../cli-args";
import { type Command, GLOBAL_HELP, validateOrFail } from "../command";
import { EXIT, EXIT_CODES_HELP, exitForDriverError } from "../exit-codes";
import { failDriver } from "../output";
import type { Target } from "../target";

/** The runs in the journal that never reached a final state (a killed or interrupted run). */
export function runsInFlight(target: Target): ResultAsync<RunReport[], never> {
  return target.journal
    .list()
    .orElse(() => ResultAsync.fromSafePromise(Promise.resolve([] as string[])))
    .andThen((ids) =>
      ResultAsync.fromSafePromise(
        Promise.all(ids.map(async (id) => (await loadRun(target.journal, id)).unwrapOr(null))),
      ),
    )
    .map((reports) =>
      reports.filter((r): r is RunReport => r !== null && !TERMINAL_STATES.includes(r.state)),
    );
}

/** `rollback status`: what the runbook's pre-checks look at, plus runs in flight and the lock holder. */
export const statusCommand: Command = {
  name: "status",
  summary: "active color, history, containers per color, artifacts, migrations, runs in flight, lock",
  positionals: 0,
  options: {},
  help: `Usage: rollback status [options]

Shows, changing nothing: the active color and the live release; the public health; the
active-color history; every color's containers (RUNNING/Stopped/Missing, release); for
each SHA in the history whether its artifacts are still in the registry (and its
keep-N retention); the migration state; the runs the journal holds that never finished
(resume or revert them); and who holds the environment's lock.

${GLOBAL_HELP}

Examples:
  rollback status
  rollback status --env staging --json | jq .facts.activeColor

${EXIT_CODES_HELP}`,
  async run(raw, out, session) {
    const args = validateOrFail(out, "status", globalSchema, raw.values);
    if (!args) return EXIT.usage;
    const target = await session.open(args, out);
    if (typeof target === "number") return target;
    const facts = await observe(target.topology, target.drivers, { probeAttempts: 1 });
    if (facts.isErr()) return failDriver(out, exitForDriverError(facts.error), facts.error);
    const inFlight = (await runsInFlight(target)).unwrapOr([]);
    const lock = await target.lock.inspect(target.topology.env);
    if (lock.isErr()) return failDriver(out, exitForDriverError(lock.error), lock.error);
    const retention = target.topology.registry?.retention;
    out.text(`target: ${target.description}`);
    printFacts(facts.value, out.text, { retention });
    printInFlight(inFlight, lock.value, out.text);
    out.object({
      type: "status",
      target: target.kind,
      facts: facts.value,
      retention,
      runsInFlight: inFlight.map((r) => ({
        runId: r.runId,
        path: r.intent.path,
        env: r.intent.env,
        state: r.state,
        actor: r.intent.actor,
        startedAt: r.startedAt,
      })),
      lock: lock.value,
    });
    return EXIT.ok;
  },
};
