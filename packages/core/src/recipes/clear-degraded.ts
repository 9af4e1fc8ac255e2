import { errAsync, okAsync, type ResultAsync } from "neverthrow";
import type { DriverError } from "../errors/driver-error";
import type { DegradedMarker } from "../fleet/degraded-marker";
import { observeFleet } from "../fleet/fleet-facts";
import type { Topology } from "../topology/topology";
import type { DriversFor } from "./drivers";
import { fleetEdges } from "./fleet-flip";
import { recipeError } from "./recipe-input";

/**
 * Clears a degraded fleet's marker once every edge agrees again (converge first:
 * `fleetFlip` with the marker's color as target). Refuses with `conflict` naming the
 * edges while they still disagree or one cannot be read. Returns the marker cleared
 * (`null` when there was none).
 */
export function clearDegraded(
  topology: Topology,
  drivers: DriversFor<"edges" | "fleetMarker">,
): ResultAsync<DegradedMarker | null, DriverError> {
  const op = "clearDegraded";
  const edges = fleetEdges(topology, drivers.edges, op);
  if (edges.isErr()) return errAsync(edges.error);
  return observeFleet(edges.value, drivers.fleetMarker).andThen((facts) => {
    if (facts.degraded === null) return okAsync(null);
    const unread = facts.edges.filter((e) => e.activeColor === null);
    if (facts.split !== null || unread.length > 0) {
      const where = facts.split
        ? Object.entries(facts.split)
            .map(([color, names]) => `${names.join(", ")} on ${color}`)
            .join("; ")
        : `${unread.map((e) => e.edge).join(", ")} unreadable`;
      return errAsync(
        recipeError(op, "conflict", `the fleet still disagrees (${where}): the marker stays`, {
          hint: `converge first: fleetFlip with target ${facts.degraded.color}, then clear the marker`,
        }),
      );
    }
    const cleared = facts.degraded;
    return drivers.fleetMarker.clear().map(() => cleared);
  });
}
