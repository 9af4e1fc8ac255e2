import { okAsync, ResultAsync } from "neverthrow";
import type { DriverError } from "../errors/driver-error";
import type { DegradedMarker, DegradedMarkerStore } from "./degraded-marker";
import type { FleetEdge } from "./fleet-steps";

/** One edge as observed. */
export interface EdgeFact {
  readonly edge: string;
  /** The color its state file names; `null` when it could not be read. */
  readonly activeColor: string | null;
  /** The revision its running proxy serves; `null` when unstamped or unreadable. */
  readonly liveRevision: string | null;
  /** Why it could not be read, when it could not. */
  readonly error?: string;
}

/** A fleet's edges as observed: each edge, whether they disagree, and the degraded marker. */
export interface FleetFacts {
  readonly edges: readonly EdgeFact[];
  /**
   * Edges that disagree on the live color: each color with the edges on it; `null` when
   * every readable edge agrees.
   */
  readonly split: Readonly<Record<string, readonly string[]>> | null;
  /** The marker a degraded flip left, until it is cleared; `null` when none. */
  readonly degraded: DegradedMarker | null;
}

/** Reads every edge (an unreachable edge is a fact, not a failure) and the degraded marker. */
export function observeFleet(
  edges: readonly FleetEdge[],
  marker: DegradedMarkerStore | undefined,
): ResultAsync<FleetFacts, DriverError> {
  const facts = edges.map((e) =>
    ResultAsync.combine([e.sw.readState(), e.sw.liveRevision()])
      .map(
        ([state, live]): EdgeFact => ({ edge: e.name, activeColor: state.activeColor, liveRevision: live }),
      )
      .orElse((error) =>
        okAsync<EdgeFact, DriverError>({
          edge: e.name,
          activeColor: null,
          liveRevision: null,
          error: error.message,
        }),
      ),
  );
  return ResultAsync.combine([
    ResultAsync.combine(facts),
    marker ? marker.read() : okAsync(null),
  ] as const).map(([edgeFacts, degraded]): FleetFacts => {
    const byColor: Record<string, string[]> = {};
    for (const f of edgeFacts)
      if (f.activeColor !== null) byColor[f.activeColor] = [...(byColor[f.activeColor] ?? []), f.edge];
    return { edges: edgeFacts, split: Object.keys(byColor).length > 1 ? byColor : null, degraded };
  });
}
