import { err, errAsync, ok, okAsync, type Result, type ResultAsync } from "neverthrow";
import * as z from "zod";
import type { DriverError } from "../errors/driver-error";
import { fromDriverError, stepError } from "../errors/step-error";
import type { PlanIntent } from "../plan/plan-intent";
import { createPlan, type RollbackPlan } from "../plan/rollback-plan";
import { defineStep, type Step } from "../plan/step";
import type { Pipeline } from "../ports/pipeline";
import { HINTS } from "../presets/veza-runbook";
import { colorContainers, type Topology } from "../topology/topology";
import { type TopologyWith, topologyWith } from "../topology/topology-with";
import { definedFields } from "./defined-fields";
import type { DriversFor } from "./drivers";
import { notLiveCheck } from "./not-live-check";
import { pipelineSteps } from "./pipeline-steps";
import { hostActions } from "./port-actions";
import { defineRecipe, requireDrivers } from "./recipe";
import {
  colorSchema,
  parseParams,
  parseRecipeInput,
  type RecipeBaseInput,
  recipeBaseSchema,
  recipeError,
} from "./recipe-input";

/** Input of {@link cleanupColor}. */
export interface CleanupColorInput extends RecipeBaseInput {
  /** The failed color to reclaim, one of the topology's colors; never the live one. */
  readonly color: string;
  /** `native` deletes through the container host; `pipeline` runs the cleanup workflow. Default `native`. */
  readonly via?: "native" | "pipeline";
  /** How long to follow the pipeline run (milliseconds, default 10 minutes). */
  readonly followDeadlineMs?: number;
}

/** The drivers {@link cleanupColor} uses: the pipeline only with `via: "pipeline"`. */
export type CleanupColorDrivers = DriversFor<"host" | "traffic", "pipeline">;

/** What `via: "pipeline"` needs besides the drivers every cleanup needs: the topology section and the driver. */
function pipelineNeeds(
  topology: Topology,
  drivers: CleanupColorDrivers,
): Result<{ topology: TopologyWith<"pipeline">; pipeline: Pipeline }, DriverError> {
  return topologyWith(topology, ["pipeline"], "cleanupColor").andThen((t) =>
    requireDrivers(drivers, ["pipeline"], "cleanupColor").map((d) => ({ topology: t, pipeline: d.pipeline })),
  );
}

const cleanupInput = (t: Topology): z.ZodType<CleanupColorInput> =>
  recipeBaseSchema
    .extend({
      /** The failed color to reclaim; never the live one. */
      color: colorSchema(t),
      /** `native` deletes through the container host; `pipeline` runs `cleanup-failed.yml`. Default `native`. */
      via: z.enum(["native", "pipeline"]).optional(),
      /** How long to follow the pipeline run (milliseconds, default 10 minutes). */
      followDeadlineMs: z
        .number()
        .int()
        .min(1)
        .max(6 * 3_600_000)
        .optional(),
    })
    .strict();

const cleanupParams = (t: Topology) =>
  z.object({
    color: colorSchema(t),
    via: z.enum(["native", "pipeline"]),
    followDeadlineMs: z.number().int().min(1).optional(),
  });

const NOT_LIVE_STEP_ID = "precheck-not-live";
const GONE_STEP_ID = "color-gone";

/**
 * Builds the cleanup plan from its intent (also used on resume): check the color is not
 * live, delete its app containers (stopping them first) or run `cleanup-failed.yml`,
 * then verify none is left.
 */
function cleanupColorPlanFromIntent(
  topology: Topology,
  drivers: CleanupColorDrivers,
  intent: PlanIntent,
): Result<RollbackPlan, DriverError> {
  return parseParams(cleanupParams(topology), intent, "cleanupColor").andThen(
    ({ color, via, followDeadlineMs }) => {
      const names = colorContainers(topology, color);
      const { host } = drivers;
      const notLive = notLiveCheck(NOT_LIVE_STEP_ID, drivers.traffic, color, {
        title: `Verify ${color} is not the live color`,
        message: `${color} is the live color: refusing to clean it up`,
        hint: HINTS.neverCleanLive,
      });
      const deletes = names.map((name) =>
        defineStep<{ deleted: boolean }>({
          id: `delete-${name}`,
          title: `Delete ${name} (stopping it first)`,
          kind: "change",
          idempotent: true,
          describe: () => hostActions(host, { op: "delete", name }),
          run: () =>
            host
              .delete(name, { stopFirst: true })
              .map(() => ({ deleted: true }))
              .orElse((e) => (e.reason === "not_found" ? okAsync({ deleted: false }) : errAsync(e)))
              .mapErr((e) => fromDriverError(`delete-${name}`, e)),
        }),
      );
      const viaPipeline = (): Result<Step[], DriverError> =>
        pipelineNeeds(topology, drivers).map(({ topology: t, pipeline }) =>
          pipelineSteps(
            pipeline,
            {
              workflow: t.pipeline.cleanup,
              ref: t.pipeline.ref,
              inputs: { env: topology.env, color },
            },
            {
              deadlineMs: followDeadlineMs ?? 10 * 60_000,
              hint: "the cleanup run did not succeed: read its log",
            },
          ),
        );
      const gone = defineStep<void>({
        id: GONE_STEP_ID,
        title: `Verify no ${color} app container is left`,
        kind: "verify",
        idempotent: true,
        describe: () => hostActions(host, { op: "list", names }),
        run: () =>
          host
            .list({ names })
            .mapErr((e) => fromDriverError(GONE_STEP_ID, e))
            .andThen((left) =>
              left.length === 0
                ? okAsync(undefined)
                : errAsync(
                    stepError(GONE_STEP_ID, "failed", `still there: ${left.map((i) => i.name).join(", ")}`),
                  ),
            ),
      });
      const changes: Result<Step[], DriverError> = via === "native" ? ok(deletes) : viaPipeline();
      return changes.andThen((middle) => createPlan(intent, [notLive, ...middle, gone]));
    },
  );
}

/**
 * Reclaims a failed color's slot once forensics are done: the **Veza cleanup** workflow
 * (`cleanup-failed.yml`, destroys a color's app containers), natively through the host
 * (`incus delete` with stop first) or through the pipeline. Refuses the live color,
 * at planning and again when the run starts.
 */
export function cleanupColor(
  topology: Topology,
  drivers: CleanupColorDrivers,
  input: CleanupColorInput,
): ResultAsync<RollbackPlan, DriverError> {
  const parsed = parseRecipeInput("cleanupColor", topology, [], cleanupInput, input);
  if (parsed.isErr()) return errAsync(parsed.error);
  const { topology: t, input: args } = parsed.value;
  const via = args.via ?? "native";
  const needs = via === "pipeline" ? pipelineNeeds(t, drivers) : ok(undefined);
  if (needs.isErr()) return errAsync(needs.error);
  return drivers.traffic.readState().andThen((state) => {
    if (state.activeColor === args.color)
      return err(
        recipeError("cleanupColor", "conflict", `${args.color} is the live color: refusing to clean it up`, {
          hint: HINTS.neverCleanLive,
        }),
      );
    const intent: PlanIntent = {
      path: "cleanup",
      env: t.env,
      from: args.color,
      actor: args.actor,
      reason: args.reason,
      params: {
        color: args.color,
        via,
        ...definedFields({ followDeadlineMs: args.followDeadlineMs }),
      },
    };
    return cleanupColorPlanFromIntent(t, drivers, intent);
  });
}

/** The cleanup as a registered recipe: resumable through a recipe registry. */
export const cleanupColorRecipe = defineRecipe({
  path: "cleanup",
  drivers: ["host", "traffic"],
  optionalDrivers: ["pipeline"],
  plan: cleanupColorPlanFromIntent,
});
