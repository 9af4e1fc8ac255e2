import { spawnSync } from "node:child_process";
import type { Topology } from "@backflip/core";
import { skipUnlessBackend } from "@backflip/core/testing";
import { expect } from "vitest";
import { startEdgeLoads } from "../../bench/edge-loads";
import { LAB_EDGES } from "../src/lab-settings";
import { labBackendsUp } from "./lab-support";

/** Skip (with the reason) unless the lab's backends are up and `wrk` is installed: what the fleet tests under load need. */
export const skipUnlessLabAndWrk = skipUnlessBackend(
  labBackendsUp && spawnSync("wrk", ["--version"]).error === undefined,
  "incus + haproxy (the lab) and wrk",
  "scripts/backends up incus haproxy (and apt-get install wrk)",
);

/**
 * Runs `body` while wrk loads every edge's public URL (its output under `dir`, at most
 * `maxS` seconds), then stops the loads and expects each edge to have served requests and
 * failed none — also when `body` threw.
 */
export async function underLoadOnEveryEdge(
  topology: Topology,
  dir: string,
  maxS: number,
  body: () => Promise<void>,
): Promise<void> {
  const loads = await startEdgeLoads(topology, dir, "wrk", maxS);
  try {
    await body();
  } finally {
    const results = await Promise.all(loads.map((l) => l.stop()));
    for (const [i, r] of results.entries()) {
      expect(r.requests, `${LAB_EDGES[i]?.name}: ${r.report}`).toBeGreaterThan(0);
      expect(r.failed, `${LAB_EDGES[i]?.name}: ${r.report}`).toBe(0);
    }
  }
}
