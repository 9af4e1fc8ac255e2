import { err, errAsync, type Result, type ResultAsync } from "neverthrow";
import * as z from "zod";
import type { DriverError } from "../errors/driver-error";
import type { PlanIntent } from "../plan/plan-intent";
import { createPlan, type RollbackPlan } from "../plan/rollback-plan";
import type { Step } from "../plan/step";
import { HINTS } from "../presets/veza-runbook";
import { colorContainers, otherColor, type Topology } from "../topology/topology";
import type { TopologyWith } from "../topology/topology-with";
import { shaSchema } from "../validate/schemas";
import { artifactsCheck, resolveArtifacts } from "./artifacts-check";
import { convergedStep } from "./converged-step";
import { definedFields } from "./defined-fields";
import type { DriversFor } from "./drivers";
import { idleColorCheck } from "./idle-color-check";
import { migrationCaveatSteps, migrationWarningSchema, plannedMigrationWarnings } from "./migration-caveat";
import { publicProbeSteps } from "./public-probe-step";
import { defineRecipe } from "./recipe";
import {
  colorSchema,
  type ProbeOptionsInput,
  parseParams,
  parseRecipeInput,
  probeOptionsSchema,
  type RecipeBaseInput,
  recipeBaseSchema,
  recipeError,
} from "./recipe-input";
import { stageArtifactsStep } from "./stage-artifacts-step";
import { startColorStep } from "./start-color-step";
import { trafficSwitchSteps } from "./traffic-switch-steps";

/** Input of {@link redeploy}. */
export interface RedeployInput extends RecipeBaseInput {
  /** The 40-hex SHA to roll back TO. */
  readonly sha: string;
  /** The schema version the target release expects, when known: a different one is warned about. */
  readonly expectedSchemaVersion?: number;
  /** How the public probe retries after the switch. */
  readonly probe?: ProbeOptionsInput;
}

/** The drivers {@link redeploy} uses: the database only for the migration caveat, when given. */
export type RedeployDrivers = DriversFor<"host" | "traffic" | "probe" | "registry", "database">;

/** The topology sections {@link redeploy} needs: `containers.app` (where releases are staged). */
const SECTIONS = ["app"] as const;

const redeployInput = (): z.ZodType<RedeployInput> =>
  recipeBaseSchema
    .extend({
      /** The 40-hex SHA to roll back TO. */
      sha: shaSchema,
      /** The schema version the target release expects, when known: a different one is warned about. */
      expectedSchemaVersion: z.number().int().min(0).optional(),
      probe: probeOptionsSchema.optional(),
    })
    .strict();

const redeployParams = (t: Topology) =>
  z.object({
    sha: shaSchema,
    live: colorSchema(t),
    idle: colorSchema(t),
    expectedSchemaVersion: z.number().int().min(0).optional(),
    probe: probeOptionsSchema.optional(),
    warnings: z.array(migrationWarningSchema).optional(),
  });

/**
 * Builds Path 2's plan from its intent (also used on resume). Checks: A resolve every
 * artifact, B the idle color, the migration caveat, read state, render + validate.
 * Changes: C stage artifacts, D start and check locally, E activate + record. Verify:
 * F the public probe (the runner reverts everything when it fails), then the post-run facts.
 */
function redeployPlanFromIntent(
  topology: TopologyWith<"app">,
  drivers: RedeployDrivers,
  intent: PlanIntent,
): Result<RollbackPlan, DriverError> {
  const { registry } = drivers;
  return parseParams(redeployParams(topology), intent, "redeploy").andThen(
    ({ sha, live, idle, expectedSchemaVersion, probe, warnings }) => {
      if (live === idle)
        return err(recipeError("redeploy", "invalid_input", "the idle color must differ from the live one"));
      const flip = trafficSwitchSteps(drivers.traffic, { color: idle, sha, actor: intent.actor });
      const steps: Step[] = [
        artifactsCheck(registry, topology, sha),
        idleColorCheck(drivers, topology, live, idle),
        ...migrationCaveatSteps(drivers.database, expectedSchemaVersion, warnings),
        ...flip.slice(0, 2),
        stageArtifactsStep(drivers.host, registry, topology, idle, sha),
        startColorStep(drivers.host, drivers.probe, topology, idle, sha),
        ...flip.slice(2),
        ...publicProbeSteps(drivers.probe, topology, probe),
        convergedStep(drivers.traffic, idle),
      ];
      return createPlan(intent, steps);
    },
  );
}

/**
 * Path 2 — re-deploy an older SHA (~10 min), natively through the drivers: A resolve
 * every component's artifact for the SHA (a missing one refuses up front: Path 3, rebuild
 * and push), B pick the idle color, C stage the artifacts into its containers, D start and
 * check each locally, E flip, F the public probe — on failure the run flips back
 * automatically. The migration caveat (migrations are not rolled back) is read from the
 * migration state and carried in `intent.params.warnings` and the run's log.
 * Planning reads the world, never changes it.
 */
export function redeploy(
  topology: Topology,
  drivers: RedeployDrivers,
  input: RedeployInput,
): ResultAsync<RollbackPlan, DriverError> {
  const parsed = parseRecipeInput("redeploy", topology, SECTIONS, redeployInput, input);
  if (parsed.isErr()) return errAsync(parsed.error);
  const { topology: t, input: args } = parsed.value;
  const { registry } = drivers;
  return resolveArtifacts(registry, t, args.sha, "redeploy")
    .andThen(() => drivers.traffic.readState())
    .andThen((state) => {
      const live = state.activeColor;
      const idle = otherColor(t, live);
      if (state.history[0]?.sha === args.sha && state.history[0]?.color === live)
        return errAsync(
          recipeError("redeploy", "conflict", `${args.sha.slice(0, 12)} is already live on ${live}`, {
            hint: "pick the SHA you are rolling back TO (active-color.history, git log)",
          }),
        );
      const names = colorContainers(t, idle);
      return drivers.host.list({ names }).andThen((instances) => {
        const missing = names.filter((n) => !instances.some((i) => i.name === n));
        if (missing.length > 0)
          return errAsync(
            recipeError("redeploy", "not_found", `the idle color ${idle} has no ${missing.join(", ")}`, {
              hint: HINTS.usePipeline,
            }),
          );
        return plannedMigrationWarnings(drivers.database, args.expectedSchemaVersion).andThen((warnings) => {
          const intent: PlanIntent = {
            path: "redeploy",
            env: t.env,
            from: live,
            to: idle,
            sha: args.sha,
            actor: args.actor,
            reason: args.reason,
            params: {
              sha: args.sha,
              live,
              idle,
              ...definedFields({ expectedSchemaVersion: args.expectedSchemaVersion, probe: args.probe }),
              warnings,
            },
          };
          return redeployPlanFromIntent(t, drivers, intent);
        });
      });
    });
}

/** Path 2 as a registered recipe: resumable through a recipe registry. */
export const redeployRecipe = defineRecipe({
  path: "redeploy",
  drivers: ["host", "traffic", "probe", "registry"],
  optionalDrivers: ["database"],
  sections: SECTIONS,
  plan: redeployPlanFromIntent,
});
