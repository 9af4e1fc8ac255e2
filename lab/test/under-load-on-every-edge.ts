import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Topology } from "@backflip/core";
import { expect } from "vitest";
import { startWrkLoad } from "../../bench/wrk-load";
import { LAB_EDGES, labEdgeHealthUrl } from "../src/lab-settings";

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
  const loads = await Promise.all(
    LAB_EDGES.map((edge) => {
      const wrkDir = join(dir, `wrk-${edge.name}`);
      mkdirSync(wrkDir, { recursive: true });
      return startWrkLoad({ bin: "wrk", url: labEdgeHealthUrl(edge, topology), maxS, dir: wrkDir });
    }),
  );
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
