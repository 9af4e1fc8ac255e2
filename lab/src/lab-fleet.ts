import { join } from "node:path";
import type { DriverError, FullTopology } from "@backflip/core";
import { type DegradedMarkerStore, fileDegradedMarker } from "@backflip/core/recipes";
import type { HaproxySwitch } from "@backflip/driver-haproxy";
import { err, ok, type Result, ResultAsync } from "neverthrow";
import { canonicalTrafficState } from "./lab-canonical";
import { type LabDrivers, labDrivers, labTrafficSwitch } from "./lab-drivers";
import { resetLab, resetLabTraffic } from "./lab-reset";
import { LAB_EDGES, labEdgeHealthUrl, labStateDir, labTopology } from "./lab-settings";
import { waitHealthy } from "./lab-up";

/** The lab's drivers for its fleet: one HAProxy switch per edge and the degraded marker; `traffic` is edge 1. */
export interface LabFleetDrivers extends LabDrivers {
  readonly edges: Readonly<Record<string, HaproxySwitch>>;
  readonly fleetMarker: DegradedMarkerStore;
}

/** The lab topology with the fleet's edges in its traffic role (`traffic.edges`: edge-1, edge-2, edge-3). */
export function labFleetTopology(): FullTopology {
  const t = labTopology();
  return { ...t, traffic: { ...t.traffic, edges: LAB_EDGES.map((e) => e.name) } };
}

/** Where the lab's fleet keeps its degraded marker by default: `<lab state dir>/fleet.degraded`. */
export function labFleetMarkerPath(): string {
  return join(labStateDir(), "fleet.degraded");
}

/**
 * Everything a fleet flip needs on the lab (after `pnpm lab up`): {@link labDrivers} on
 * {@link labFleetTopology}, `edges` with a switch per edge (each HAProxy in its own
 * container, through its own sockets; `traffic` is edge 1's), and `fleetMarker` in a file
 * (`options.markerPath`, default {@link labFleetMarkerPath}). `options.mode` is every
 * edge's switch mode, `traffic`'s included (default `reload`); `map` needs every edge in
 * runtime-map mode first (`labFleetToMapMode`).
 */
export function labFleetDrivers(
  options: { readonly markerPath?: string; readonly mode?: "reload" | "map" } = {},
): Result<LabFleetDrivers, DriverError> {
  const topology = labFleetTopology();
  const mode = options.mode ?? "reload";
  return labDrivers(topology).andThen((d) => {
    const edges: Record<string, HaproxySwitch> = {};
    for (const edge of LAB_EDGES) {
      const sw =
        edge === LAB_EDGES[0] && mode === "reload"
          ? ok(d.traffic)
          : labTrafficSwitch(d.host, topology, { edge, mode });
      if (sw.isErr()) return err(sw.error);
      edges[edge.name] = sw.value;
    }
    return ok({
      ...d,
      traffic: edges[LAB_EDGES[0].name] as HaproxySwitch,
      edges,
      fleetMarker: fileDegradedMarker(options.markerPath ?? labFleetMarkerPath()),
    });
  });
}

/**
 * {@link resetLab}, then every other edge back on the canonical color with the canonical
 * state, every edge's public URL answering from it, and no degraded marker.
 */
export function resetLabFleet(d: LabFleetDrivers): ResultAsync<void, DriverError> {
  const canonical = canonicalTrafficState();
  const others = LAB_EDGES.slice(1);
  return resetLab(d)
    .andThen(() =>
      ResultAsync.combine(
        others.map((edge) => resetLabTraffic(d.edges[edge.name] as HaproxySwitch, canonical)),
      ),
    )
    .andThen(() =>
      ResultAsync.combine(
        LAB_EDGES.map((edge) =>
          waitHealthy(d.probe, labEdgeHealthUrl(edge, d.topology), `"color":"${canonical.activeColor}"`),
        ),
      ),
    )
    .andThen(() => d.fleetMarker.clear());
}
