import type { FullTopology } from "@backflip/core";
import { vezaTopology } from "@backflip/core/recipes";
import type { Fleet } from "@backflip/driver-mock";

/** The Veza topology of `env`, with each container's own health URL on the simulated fleet. */
export function simulatedTopology(env: string): FullTopology {
  const { containers } = vezaTopology(env);
  return vezaTopology(env, {
    containers: {
      ...containers,
      app: { ...containers.app, localHealthUrl: "http://{container}.fleet/api/v1/health" },
    },
  });
}

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

/** Gives the slow operations of a fleet real-world-ish latencies, so live progress shows time passing. */
export function addLatencies(fleet: Fleet): Fleet {
  for (const [op, ms] of Object.entries(LATENCY)) fleet.faults.latency(op, ms);
  return fleet;
}

// The types the functions above are made of, public here so that a program's own
// declarations can name them.
export type { AppSection, ContainersSection, FullTopology, Topology } from "@backflip/core";
export type { Fleet } from "@backflip/driver-mock";
