import type { Journal, LeaseLock, Topology } from "@backflip/core";
import type { Drivers, ObserveDrivers } from "@backflip/core/recipes";

/** What the service acts on: one environment's topology and drivers, and the coordination store its runs use. */
export interface ServiceTarget {
  /** One line for the page, e.g. "a simulated fleet: nothing real is touched". */
  readonly description: string;
  readonly topology: Topology;
  /** The drivers: at least what `observe` needs; a recipe asks for the rest when it plans. */
  readonly drivers: ObserveDrivers & Partial<Drivers>;
  /** Where runs are journaled: the past-runs list and the event replay read it. */
  readonly journal: Journal;
  /** The lease lock: one run per environment, shared with every other operator's tool. */
  readonly lock: LeaseLock;
}
