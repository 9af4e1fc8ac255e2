import { realpathSync } from "node:fs";
import { relative } from "node:path";
import { pathToFileURL } from "node:url";
import { addLatencies, simulatedTopology } from "@backflip/cli/simulated-fleet";
import { type FullTopology, type RollbackPlan, type RunEvent, runPlan } from "@backflip/core";
import { createFleet, type Fleet, type FleetScenario } from "@backflip/driver-mock";
import { type Out, printOutcome, printPlan, progressPrinter } from "./progress";

export { addLatencies, simulatedTopology };

/** The staging topology, with each container's own health URL on the simulated fleet. */
export const topology: FullTopology = simulatedTopology("staging");

/** A simulated fleet on the example topology, on today's clock, with small latencies on the slow operations. */
export function simulatedFleet(scenario?: FleetScenario): Fleet {
  return addLatencies(
    createFleet({ topology, clock: "realtime", now: new Date(), ...(scenario ? { scenario } : {}) }),
  );
}

/**
 * Prints the dry run, runs the plan on the fleet with live progress, prints the report; `ok`
 * when it succeeded. The run is the plan's actor's and is timed by the real clock, so the
 * durations shown are the ones that passed.
 */
export async function dryRunThenRun(
  fleet: Fleet,
  plan: RollbackPlan,
  out: Out,
  options: { acknowledgeDataLoss?: boolean } = {},
): Promise<{ ok: boolean; events: RunEvent[] }> {
  printPlan(plan, out);
  const events: RunEvent[] = [];
  const print = progressPrinter(out);
  const result = await runPlan(plan, {
    journal: fleet.journal,
    lock: fleet.lock,
    owner: plan.intent.actor,
    onEvent: (e) => {
      events.push(e);
      print(e);
    },
    ...(options.acknowledgeDataLoss ? { acknowledgeDataLoss: true } : {}),
  });
  return { ok: printOutcome(result, out), events };
}

/**
 * Runs `main` when the module is the file executed (`tsx examples/<name>.ts`), setting the
 * exit code; with `--help` (or `-h`) prints the usage instead.
 */
export function runIfMain(moduleUrl: string, main: (out: Out) => Promise<boolean>): void {
  const entry = process.argv[1];
  if (!entry || pathToFileURL(realpathSync(entry)).href !== moduleUrl) return;
  if (process.argv.slice(2).some((a) => a === "--help" || a === "-h")) {
    console.log(
      `usage: npx tsx ${relative(process.cwd(), entry)} (no options)\n\nPrints the dry run, runs it with live progress, ends with a report; exit 0 when the run succeeded.`,
    );
    return;
  }
  main((line) => console.log(line)).then(
    (ok) => {
      process.exitCode = ok ? 0 : 1;
    },
    (cause: unknown) => {
      console.error(cause);
      process.exitCode = 1;
    },
  );
}
