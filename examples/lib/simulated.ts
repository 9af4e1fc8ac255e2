import { realpathSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { type RollbackPlan, type RunEvent, runPlan, type Topology, vezaTopology } from "@backflip/core";
import { createFleet, type Fleet, type FleetScenario } from "@backflip/driver-mock";
import { type Out, printOutcome, printPlan, progressPrinter } from "./progress";

/** The staging topology, with each container's own health URL on the simulated fleet. */
export const topology: Topology = vezaTopology("staging", {
  app: { localHealthUrl: "http://{container}.fleet/api/v1/health" },
});

/** Real-world-ish latencies (milliseconds) so the live progress shows time passing. */
const LATENCY: Record<string, number> = {
  "host.list": 40,
  "host.start": 120,
  "host.stop": 80,
  "host.pushFile": 30,
  "traffic.validate": 60,
  "traffic.reload": 150,
  "probe.check": 90,
  "registry.download": 60,
  "registry.upload": 80,
  "database.applySql": 70,
  "snapshots.rollback": 200,
};

/** A simulated fleet on the example topology, with small latencies on the slow operations. */
export function simulatedFleet(scenario?: FleetScenario): Fleet {
  const fleet = createFleet({ topology, ...(scenario ? { scenario } : {}) });
  for (const [op, ms] of Object.entries(LATENCY)) fleet.faults.latency(op, ms);
  return fleet;
}

/** Prints the dry run, runs the plan on the fleet with live progress, prints the report; `ok` when it succeeded. */
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
    owner: "example",
    now: () => fleet.clock.now(),
    onEvent: (e) => {
      events.push(e);
      print(e);
    },
    ...(options.acknowledgeDataLoss ? { acknowledgeDataLoss: true } : {}),
  });
  return { ok: printOutcome(result, out), events };
}

/** Runs `main` when the module is the file executed (`tsx examples/<name>.ts`), setting the exit code. */
export function runIfMain(moduleUrl: string, main: (out: Out) => Promise<boolean>): void {
  const entry = process.argv[1];
  if (!entry || pathToFileURL(realpathSync(entry)).href !== moduleUrl) return;
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
