import { err, ok, type Result } from "neverthrow";
import { type DriverError, driverError } from "../errors/driver-error";
import type { PlanIntent } from "../plan/plan-intent";
import type { RollbackPlan } from "../plan/rollback-plan";
import { parseTopology, type Topology } from "../topology/topology";
import { type TopologySection, type TopologyWith, topologyWith } from "../topology/topology-with";
import type { DriverName, Drivers, DriversFor } from "./drivers";

/**
 * A recipe as a registry holds it: the plan path it rebuilds, what it needs, and a
 * `rebuild` that checks those needs at run time (a resume gets whatever drivers it is given).
 */
export interface RecipeEntry {
  /** The `intent.path` of the plans it makes, e.g. `fast-flip`. */
  readonly path: string;
  /** The drivers it cannot run without. */
  readonly drivers: readonly DriverName[];
  /** The topology sections it cannot plan without. */
  readonly sections: readonly TopologySection[];
  /**
   * Rebuilds the plan from a recorded intent: `invalid_input` naming a missing topology
   * section, `unsupported` naming a missing driver, else the same steps with the same ids.
   */
  rebuild(
    topology: Topology,
    drivers: Partial<Drivers>,
    intent: PlanIntent,
  ): Result<RollbackPlan, DriverError>;
}

/** A recipe that declares its needs: `Need` drivers, `Optional` drivers, topology `Sections`. */
export interface Recipe<
  Need extends DriverName = never,
  Optional extends DriverName = never,
  Sections extends TopologySection = never,
> extends RecipeEntry {
  readonly drivers: readonly Need[];
  /** The drivers it uses when given (e.g. a database for the migration caveat). */
  readonly optionalDrivers: readonly Optional[];
  readonly sections: readonly Sections[];
  /** Builds the plan from its intent with exactly the declared drivers and sections (also on resume). */
  plan(
    topology: TopologyWith<Sections>,
    drivers: DriversFor<Need, Optional>,
    intent: PlanIntent,
  ): Result<RollbackPlan, DriverError>;
}

/** What {@link defineRecipe} takes. */
export interface RecipeSpec<
  Need extends DriverName,
  Optional extends DriverName,
  Sections extends TopologySection,
> {
  /** The `intent.path` its plans carry; unique in a registry. */
  readonly path: string;
  /** The drivers it cannot run without. */
  readonly drivers: readonly Need[];
  /** The drivers it uses when given (default none). */
  readonly optionalDrivers?: readonly Optional[];
  /** The topology sections it cannot plan without (default none). */
  readonly sections?: readonly Sections[];
  /** Builds the plan from its intent (also on resume): same intent, same step ids. */
  plan(
    topology: TopologyWith<Sections>,
    drivers: DriversFor<Need, Optional>,
    intent: PlanIntent,
  ): Result<RollbackPlan, DriverError>;
}

/**
 * `drivers`, known to have every driver in `need` — or `unsupported` naming every missing
 * one. For callers holding an open bag of drivers (a CLI, a resume) before a typed recipe.
 */
export function requireDrivers<D extends Partial<Drivers>, Need extends DriverName>(
  drivers: D,
  need: readonly Need[],
  op: string,
): Result<D & DriversFor<Need>, DriverError> {
  const missing = need.filter((key) => drivers[key] === undefined || drivers[key] === null);
  return missing.length === 0
    ? ok(drivers as D & DriversFor<Need>)
    : err(
        driverError({
          driver: "recipe",
          op,
          reason: "unsupported",
          message: `${op} needs the ${missing.join(", ")} driver${missing.length > 1 ? "s" : ""} and none was given`,
          hint: `pass ${missing.map((m) => `drivers.${m}`).join(" and ")}`,
        }),
      );
}

/**
 * Declares a recipe with the drivers and topology sections it needs; its `plan` is typed
 * to exactly those. Put it in a {@link RecipeRegistry} to make its runs resumable.
 */
export function defineRecipe<
  Need extends DriverName,
  Optional extends DriverName = never,
  Sections extends TopologySection = never,
>(spec: RecipeSpec<Need, Optional, Sections>): Recipe<Need, Optional, Sections> {
  const sections = spec.sections ?? [];
  return Object.freeze({
    path: spec.path,
    drivers: spec.drivers,
    optionalDrivers: spec.optionalDrivers ?? [],
    sections,
    plan: spec.plan,
    rebuild: (topology: Topology, drivers: Partial<Drivers>, intent: PlanIntent) =>
      parseTopology(topology)
        .andThen((t) => topologyWith(t, sections, spec.path))
        .andThen((t) =>
          requireDrivers(drivers, spec.drivers, spec.path).andThen((d) => spec.plan(t, d, intent)),
        ),
  });
}
