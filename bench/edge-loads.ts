import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { Topology } from "@backflip/core";
import { LAB_EDGES, labEdgeHealthUrl } from "../lab/src/lab-settings";
import { startWrkLoad, type WrkLoad } from "./wrk-load";

/**
 * wrk on every lab edge's public URL for at most `maxS` seconds, `connections[i]` on edge i
 * (default: {@link startWrkLoad}'s), each pacing script under `<dir>/<phase>-<edge>`.
 */
export function startEdgeLoads(
  topology: Topology,
  dir: string,
  phase: string,
  maxS: number,
  connections?: readonly number[],
): Promise<WrkLoad[]> {
  return Promise.all(
    LAB_EDGES.map(async (edge, i) => {
      const edgeDir = join(dir, `${phase}-${edge.name}`);
      await mkdir(edgeDir, { recursive: true });
      const count = connections?.[i];
      return startWrkLoad({
        bin: "wrk",
        url: labEdgeHealthUrl(edge, topology),
        maxS,
        dir: edgeDir,
        ...(count === undefined ? {} : { connections: count }),
      });
    }),
  );
}
