import type { Topology, TrafficSwitch } from "@backflip/core";
import { type DegradedMarkerStore, memoryDegradedMarker } from "@backflip/core/recipes";
import { createFleet, type Fleet, type FleetDrivers, type FleetOptions } from "./create-fleet";

/** A simulated fleet of edge proxies: one {@link Fleet} per edge, the first one's other drivers shared. */
export interface EdgeFleet<T extends Topology = Topology> {
  /** The topology, with `traffic.edges` naming the edges. */
  readonly topology: T;
  /** The first edge's fleet: host, probe, journal, lock and clock of the runs. */
  readonly base: Fleet<T>;
  /** Each edge's own fleet, by name: its world's proxy is the edge (views and faults per edge). */
  readonly edges: Readonly<Record<string, Fleet<T>>>;
  /** The base fleet's drivers plus `edges` and an in-memory `fleetMarker`. */
  readonly drivers: FleetDrivers & {
    readonly edges: Readonly<Record<string, TrafficSwitch>>;
    readonly fleetMarker: DegradedMarkerStore;
  };
}

/**
 * Builds a simulated fleet whose traffic role is `names.length` edges (default
 * `edge-1`…`edge-3`), each a simulated HAProxy in a world of its own built from the same
 * options, so each can fail on its own (`edges[name].faults`). Throws a `TypeError` on
 * bad options, like {@link createFleet}.
 */
export function createEdgeFleet<T extends Topology>(
  options: FleetOptions<T> & { readonly topology: T },
  names: readonly string[] = ["edge-1", "edge-2", "edge-3"],
): EdgeFleet<T> {
  const topology = { ...options.topology, traffic: { ...options.topology.traffic, edges: [...names] } };
  const edges = Object.fromEntries(names.map((name) => [name, createFleet({ ...options, topology })]));
  const base = edges[names[0] ?? ""];
  if (!base) throw new TypeError("createEdgeFleet: expected at least one edge name");
  return {
    topology,
    base,
    edges,
    drivers: {
      ...base.drivers,
      edges: Object.fromEntries(names.map((name) => [name, edges[name]?.drivers.traffic as TrafficSwitch])),
      fleetMarker: memoryDegradedMarker(),
    },
  };
}
