import { err, errAsync, type Result, type ResultAsync } from "neverthrow";
import * as z from "zod";
import type { DriverError } from "../errors/driver-error";
import type { PlanIntent } from "../plan/plan-intent";
import { createPlan, type RollbackPlan } from "../plan/rollback-plan";
import type { Step } from "../plan/step";
import { HINTS } from "../presets/veza-runbook";
import type { Topology } from "../topology/topology";
import { shaSchema } from "../validate/schemas";
import { colorRunningCheck } from "./color-running-check";
import { convergedStep } from "./converged-step";
import { definedFields } from "./defined-fields";
import type { DriversFor } from "./drivers";
import { fleetFlip } from "./fleet-flip";
import { notLiveCheck } from "./not-live-check";
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
import { sharedStateReads } from "./shared-state-reads";
import { trafficSwitchSteps } from "./traffic-switch-steps";

/** Input of {@link fastFlip}. */
export interface FastFlipInput extends RecipeBaseInput {
  /** The color to flip to, one of the topology's colors; default: the prior color from the history. */
  readonly target?: string;
  /** How the public probe retries after the switch. */
  readonly probe?: ProbeOptionsInput;
}

/** The drivers {@link fastFlip} uses; `edges` (and `fleetMarker`) when the topology lists a fleet. */
export type FastFlipDrivers = DriversFor<"host" | "traffic" | "probe", "edges" | "fleetMarker">;

const fastFlipInput = (t: Topology): z.ZodType<FastFlipInput> =>
  recipeBaseSchema
    .extend({
      /** The color to flip to; default: the prior color from the history. */
      target: colorSchema(t).optional(),
      probe: probeOptionsSchema.optional(),
    })
    .strict();

const fastFlipParams = (t: Topology) =>
  z.object({ target: colorSchema(t), sha: shaSchema.optional(), probe: probeOptionsSchema.optional() });

/** The step id of the "target is not live" check. */
const NOT_LIVE_STEP_ID = "precheck-not-live";

/**
 * Every check of the flip runs in this one group, together: they only read (render +
 * validate writes nothing but a candidate file beside the live config), so the
 * pre-checks cost no more than the `haproxy -c` they overlap.
 */
const PRECHECKS_GROUP = "pre-checks";

/**
 * Builds Path 1's plan from its intent (also used to rebuild it on resume): check the
 * target is not live and all its containers are RUNNING (else "use Path 2"), read the
 * state, render + validate (these four checks together), activate (install + reload +
 * confirm), record, then verify the public probe and the post-run facts.
 */
function fastFlipPlanFromIntent(
  topology: Topology,
  drivers: FastFlipDrivers,
  intent: PlanIntent,
): Result<RollbackPlan, DriverError> {
  return parseParams(fastFlipParams(topology), intent, "fastFlip").andThen(({ target, sha, probe }) => {
    // The not-live check and read-state run together: one read of the state files serves both.
    const traffic = sharedStateReads(drivers.traffic);
    const notLive = notLiveCheck(NOT_LIVE_STEP_ID, traffic, target, {
      title: `Verify ${target} is not already the live color`,
      message: `${target} is already live: nothing to flip`,
      hint: `if ${target} itself is broken, ${HINTS.usePath2}`,
    });
    const steps: Step[] = [
      notLive,
      colorRunningCheck(drivers.host, topology, target),
      ...trafficSwitchSteps(traffic, {
        color: target,
        ...definedFields({ sha }),
        actor: intent.actor,
      }),
      ...publicProbeSteps(drivers.probe, topology, probe),
      convergedStep(drivers.traffic, target),
    ].map((step) => (step.kind === "check" ? { ...step, group: PRECHECKS_GROUP } : step));
    return createPlan(intent, steps);
  });
}

/**
 * Path 1 — HAProxy fast-flip (~5s): flips traffic back to the prior color while its
 * containers are still alive. The target defaults to the prior color from the history
 * (`head -2 active-color.history`). Planning reads the state, never changes it; the
 * plan refuses at run time when a target container is not RUNNING ("use Path 2").
 * When the topology lists `traffic.edges`, this is {@link fleetFlip} over those edges.
 */
export function fastFlip(
  topology: Topology,
  drivers: FastFlipDrivers,
  input: FastFlipInput,
): ResultAsync<RollbackPlan, DriverError> {
  const parsed = parseRecipeInput("fastFlip", topology, [], fastFlipInput, input);
  if (parsed.isErr()) return errAsync(parsed.error);
  const { topology: t, input: args } = parsed.value;
  // A fleet (traffic.edges): Path 1 is the all-or-nothing fleet flip over every edge.
  if (t.traffic.edges) {
    const { edges } = drivers;
    if (!edges)
      return errAsync(
        recipeError(
          "fastFlip",
          "invalid_input",
          "the topology lists traffic edges but no drivers.edges is given",
          {
            hint: "pass one traffic switch per edge as drivers.edges",
          },
        ),
      );
    return fleetFlip(t, { ...drivers, edges }, args);
  }
  return drivers.traffic.readState().andThen((state) => {
    const prior = state.history.find((h) => h.color !== state.activeColor);
    const target = args.target ?? prior?.color ?? t.colors.find((c) => c !== state.activeColor);
    if (target === undefined || target === state.activeColor)
      return err(
        recipeError("fastFlip", "conflict", `${target ?? "the target"} is already live: nothing to flip`, {
          hint: `if ${state.activeColor} itself is broken, ${HINTS.usePath2}`,
        }),
      );
    const recorded = state.history.find((h) => h.color === target)?.sha;
    const sha = shaSchema.safeParse(recorded).success ? recorded : undefined;
    const intent: PlanIntent = {
      path: "fast-flip",
      env: t.env,
      from: state.activeColor,
      to: target,
      ...definedFields({ sha }),
      actor: args.actor,
      reason: args.reason,
      params: { target, ...definedFields({ sha, probe: args.probe }) },
    };
    return fastFlipPlanFromIntent(t, drivers, intent);
  });
}

/** Path 1 as a registered recipe: resumable through a recipe registry. */
export const fastFlipRecipe = defineRecipe({
  path: "fast-flip",
  drivers: ["host", "traffic", "probe"],
  plan: fastFlipPlanFromIntent,
});
