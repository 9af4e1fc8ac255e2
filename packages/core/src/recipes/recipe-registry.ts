import { err, type Result } from "neverthrow";
import type { DriverError } from "../errors/driver-error";
import type { PlanIntent } from "../plan/plan-intent";
import type { RollbackPlan } from "../plan/rollback-plan";
import type { Topology } from "../topology/topology";
import type { Drivers } from "./drivers";
import { parsePlanIntent } from "./plan-intent-schema";
import type { RecipeEntry } from "./recipe";
import { recipeError } from "./recipe-input";

/** An open set of recipes by plan path: what `resumeRun` rebuilds a killed run's plan from. */
export interface RecipeRegistry {
  /** The recipes, in registration order. */
  readonly recipes: readonly RecipeEntry[];
  /** A new registry with `recipe` added (it replaces one with the same path). */
  with(recipe: RecipeEntry): RecipeRegistry;
  /** The recipe of a plan path, if registered. */
  get(path: string): RecipeEntry | undefined;
  /**
   * Rebuilds a plan — the same steps, the same ids — from the {@link PlanIntent} a journal
   * recorded, without reading the world: `invalid_input` when the intent is for another
   * environment, a field of it fails the recipes' own input rules (actor, reason, colors,
   * SHA: a journal is not trusted further than operator input), its params are bad or the
   * topology lacks a section the recipe needs;
   * `unsupported` when no recipe has the intent's path or a driver it needs is missing.
   */
  planForIntent(
    topology: Topology,
    drivers: Partial<Drivers>,
    intent: PlanIntent,
  ): Result<RollbackPlan, DriverError>;
}

/** A registry of `recipes` (later ones replace earlier ones with the same path). */
export function createRecipeRegistry(recipes: readonly RecipeEntry[] = []): RecipeRegistry {
  const byPath = new Map(recipes.map((r) => [r.path, r]));
  const registry: RecipeRegistry = {
    recipes: [...byPath.values()],
    with: (recipe) => createRecipeRegistry([...byPath.values(), recipe]),
    get: (path) => byPath.get(path),
    planForIntent: (topology, drivers, intent) => {
      if (intent.env !== topology.env)
        return err(
          recipeError(
            "planForIntent",
            "invalid_input",
            `the run is for env ${intent.env}, the topology is ${topology.env}`,
            { hint: "resume with the topology of the run's environment" },
          ),
        );
      return parsePlanIntent(topology, intent).andThen((checked) => {
        const recipe = byPath.get(checked.path);
        return recipe
          ? recipe.rebuild(topology, drivers, checked)
          : err(
              recipeError("planForIntent", "unsupported", `no recipe rebuilds a "${checked.path}" plan`, {
                hint: "register the recipe that made it (createRecipeRegistry / registry.with) and resume through that registry",
              }),
            );
      });
    },
  };
  return Object.freeze(registry);
}
