import { errAsync, okAsync, type Result, type ResultAsync } from "neverthrow";
import * as z from "zod";
import type { DriverError } from "../errors/driver-error";
import { fromDriverError, stepError } from "../errors/step-error";
import type { PlanIntent } from "../plan/plan-intent";
import { createPlan, type RollbackPlan } from "../plan/rollback-plan";
import { defineStep, type Step } from "../plan/step";
import type { TrafficState } from "../ports/traffic-switch";
import type { Topology } from "../topology/topology";
import type { TopologyWith } from "../topology/topology-with";
import { lazySchema } from "../validate/lazy-schema";
import { shaSchema } from "../validate/schemas";
import { artifactsCheck, resolveArtifacts } from "./artifacts-check";
import { definedFields } from "./defined-fields";
import type { DriversFor } from "./drivers";
import { migrationCaveatSteps, migrationWarningSchema, plannedMigrationWarnings } from "./migration-caveat";
import { pipelineSteps } from "./pipeline-steps";
import { readStateActions } from "./port-actions";
import { publicProbeSteps } from "./public-probe-step";
import { defineRecipe } from "./recipe";
import {
  type ProbeOptionsInput,
  parseParams,
  parseRecipeInput,
  probeOptionsSchema,
  type RecipeBaseInput,
  recipeBaseSchema,
} from "./recipe-input";

const followSchema = lazySchema(() =>
  z.object({
    /** Give up following the run after this many milliseconds (default 20 minutes). */
    deadlineMs: z
      .number()
      .int()
      .min(1)
      .max(6 * 3_600_000)
      .optional(),
    pollMs: z.number().int().min(1).max(600_000).optional(),
  }),
);

/** Input of {@link redeployViaPipeline}. */
export interface RedeployViaPipelineInput extends RecipeBaseInput {
  /** The 40-hex SHA to roll back TO. */
  readonly sha: string;
  /** The schema version the target release expects, when known: a different one is warned about. */
  readonly expectedSchemaVersion?: number;
  /** How long to follow the pipeline run (default 20 minutes) and how often to poll. */
  readonly follow?: { readonly deadlineMs?: number; readonly pollMs?: number };
  /** How the public probe retries after the run. */
  readonly probe?: ProbeOptionsInput;
}

/** The drivers {@link redeployViaPipeline} uses: the registry and database only when given. */
export type RedeployViaPipelineDrivers = DriversFor<
  "traffic" | "probe" | "pipeline",
  "registry" | "database"
>;

/** The topology sections {@link redeployViaPipeline} needs: `pipeline` (the workflows). */
const SECTIONS = ["pipeline"] as const;

const viaPipelineInput = (): z.ZodType<RedeployViaPipelineInput> =>
  recipeBaseSchema
    .extend({
      sha: shaSchema,
      expectedSchemaVersion: z.number().int().min(0).optional(),
      follow: followSchema.strict().optional(),
      probe: probeOptionsSchema.optional(),
    })
    .strict();

const viaPipelineParams = lazySchema(() =>
  z.object({
    sha: shaSchema,
    expectedSchemaVersion: z.number().int().min(0).optional(),
    follow: followSchema.optional(),
    probe: probeOptionsSchema.optional(),
    warnings: z.array(migrationWarningSchema).optional(),
  }),
);

/** The step id of the "release is live" verification. */
const RELEASE_LIVE_STEP_ID = "release-live";

/**
 * Builds the pipeline flavour of Path 2 from its intent (also used on resume): check the
 * artifacts (when a registry driver is given) and the migration caveat, dispatch
 * `rollback.yml` with `mode=full` and `release_sha`, follow the run to success, then
 * verify the public probe and that the history head is the SHA.
 */
function redeployViaPipelinePlanFromIntent(
  topology: TopologyWith<"pipeline">,
  drivers: RedeployViaPipelineDrivers,
  intent: PlanIntent,
): Result<RollbackPlan, DriverError> {
  const { pipeline } = drivers;
  return parseParams(viaPipelineParams, intent, "redeployViaPipeline").andThen(
    ({ sha, expectedSchemaVersion, follow, probe, warnings }) => {
      const releaseLive = defineStep<TrafficState>({
        id: RELEASE_LIVE_STEP_ID,
        title: `Verify ${sha.slice(0, 12)} is live (history head)`,
        kind: "verify",
        idempotent: true,
        describe: () => readStateActions(drivers.traffic),
        run: () =>
          drivers.traffic
            .readState()
            .mapErr((e) => fromDriverError(RELEASE_LIVE_STEP_ID, e))
            .andThen((state) => {
              const head = state.history[0];
              return head?.sha === sha && head.color === state.activeColor
                ? okAsync(state)
                : errAsync(
                    stepError(
                      RELEASE_LIVE_STEP_ID,
                      "failed",
                      `the history head is ${head ? `${head.color} ${head.sha ?? "(no sha)"}` : "empty"}, not ${sha}`,
                      { hint: "read the rollback.yml run's log" },
                    ),
                  );
            }),
      });
      const steps: Step[] = [
        ...(drivers.registry ? [artifactsCheck(drivers.registry, topology, sha)] : []),
        ...migrationCaveatSteps(drivers.database, expectedSchemaVersion, warnings),
        ...pipelineSteps(
          pipeline,
          {
            workflow: topology.pipeline.rollback,
            ref: topology.pipeline.ref,
            inputs: { env: topology.env, mode: "full", target_color: "", release_sha: sha },
          },
          {
            deadlineMs: follow?.deadlineMs ?? 20 * 60_000,
            ...definedFields({ pollMs: follow?.pollMs }),
            hint: "the rollback.yml run did not succeed (its Phase F reverts HAProxy on failure): read the run's log; if the build artefacts or the host are the problem, go to Path 3",
          },
        ),
        ...publicProbeSteps(drivers.probe, topology, probe),
        releaseLive,
      ];
      return createPlan(intent, steps);
    },
  );
}

/**
 * Path 2 through the pipeline: dispatches the `Veza rollback` workflow (`rollback.yml`,
 * `mode=full`, `release_sha`) and follows the run, like the runbook's "Run workflow"
 * button. Refuses up front when an artifact is missing (hint: Path 3) — when a registry
 * driver is given — and carries the migration caveat in `intent.params.warnings`.
 */
export function redeployViaPipeline(
  topology: Topology,
  drivers: RedeployViaPipelineDrivers,
  input: RedeployViaPipelineInput,
): ResultAsync<RollbackPlan, DriverError> {
  const parsed = parseRecipeInput("redeployViaPipeline", topology, SECTIONS, viaPipelineInput, input);
  if (parsed.isErr()) return errAsync(parsed.error);
  const { topology: t, input: args } = parsed.value;
  const artifacts = drivers.registry
    ? resolveArtifacts(drivers.registry, t, args.sha, "redeployViaPipeline").map(() => undefined)
    : okAsync<undefined, DriverError>(undefined);
  return artifacts
    .andThen(() => drivers.traffic.readState())
    .andThen((state) =>
      plannedMigrationWarnings(drivers.database, args.expectedSchemaVersion).andThen((warnings) => {
        const intent: PlanIntent = {
          path: "redeploy-pipeline",
          env: t.env,
          from: state.activeColor,
          sha: args.sha,
          actor: args.actor,
          reason: args.reason,
          params: {
            sha: args.sha,
            ...definedFields({
              expectedSchemaVersion: args.expectedSchemaVersion,
              follow: args.follow,
              probe: args.probe,
            }),
            warnings,
          },
        };
        return redeployViaPipelinePlanFromIntent(t, drivers, intent);
      }),
    );
}

/** Path 2 through the pipeline as a registered recipe: resumable through a recipe registry. */
export const redeployViaPipelineRecipe = defineRecipe({
  path: "redeploy-pipeline",
  drivers: ["traffic", "probe", "pipeline"],
  optionalDrivers: ["registry", "database"],
  sections: SECTIONS,
  plan: redeployViaPipelinePlanFromIntent,
});
