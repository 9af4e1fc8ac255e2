import type { FloorSamples } from "./floor-samples";
import { type LabHaproxy, labMapOps, labReloadOps } from "./lab-flip-floor";

/** The phases of a fleet flip the fleet floor times, in order: prepare-edges, commit-edges, the probe. */
export const FLEET_FLOOR_OPS = ["prepare", "commit", "probe"] as const;

/** One phase of {@link FLEET_FLOOR_OPS}. */
export type FleetFloorOp = (typeof FLEET_FLOOR_OPS)[number];

/** Runs `fn` on every edge at once and waits for all. */
const atOnce = async <T>(items: readonly T[], fn: (item: T) => Promise<void>): Promise<void> => {
  await Promise.all(items.map(fn));
};

/** The first edge's operations (the fleet's public URL is the first edge's). */
const firstOf = <T>(ops: readonly T[]): T => {
  const first = ops[0];
  if (first === undefined) throw new Error("a fleet floor needs at least one edge");
  return first;
};

/**
 * The reload-mode floor (bench/lab-flip-floor.ts's operations, no SDK) on `edges` at once,
 * timed in the fleet flip's phases: `prepare` — each edge's write then `haproxy -c`, the
 * edges in parallel (prepare-edges renders and validates on every edge at once);
 * `commit` — each edge's rename then master-CLI `reload`, the edges in parallel, then each
 * edge's new worker awaited in turn (commit-edges installs and reloads every edge at
 * once, then confirms each); `probe` — the first edge's public URL showing `color` (the
 * fleet flip's one public probe). With one edge, the single-edge floor's operations in
 * the same phases. `revision` must be new to every edge; each keeps routing to `color`.
 */
export async function fleetReloadFloor(
  edges: readonly LabHaproxy[],
  floor: FloorSamples<FleetFloorOp>,
  color: string,
  revision: string,
): Promise<void> {
  const ops = await Promise.all(edges.map((h) => labReloadOps(h, revision, color)));
  await floor.time("prepare", () =>
    atOnce(ops, async (op) => {
      await op.write();
      await op.check();
    }),
  );
  await floor.time("commit", async () => {
    await atOnce(ops, async (op) => {
      await op.rename();
      await op.reload();
    });
    for (const op of ops) await op.confirm();
  });
  await floor.time("probe", () => firstOf(ops).probe());
}

/**
 * The runtime-map floor on `edges` at once, in the fleet map flip's phases: `prepare` —
 * every edge's map file written at once (prepare-edges writes each candidate map);
 * `commit` — one `set map`/`show map` round trip on every edge's stats socket at once
 * (commit-edges pushes the map on every edge at once and shows it); `probe` — the first
 * edge's public URL showing `color`. `key` keeps its value on every edge.
 */
export async function fleetMapFloor(
  edges: readonly LabHaproxy[],
  floor: FloorSamples<FleetFloorOp>,
  key: string,
  color: string,
): Promise<void> {
  const ops = await Promise.all(edges.map((h) => labMapOps(h, key, color)));
  await floor.time("prepare", () => atOnce(ops, (op) => op.write()));
  await floor.time("commit", () => atOnce(ops, (op) => op.setShowMap()));
  await floor.time("probe", () => firstOf(ops).probe());
}
