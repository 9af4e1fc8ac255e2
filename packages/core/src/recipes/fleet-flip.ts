import { err, errAsync, ok, okAsync, type Result, ResultAsync } from "neverthrow";
import * as z from "zod";
import type { DriverError } from "../errors/driver-error";
import { fromDriverError, stepError } from "../errors/step-error";
import { FLEET_OUTPUTS, type FleetEdge, fleetSwitchSteps } from "../fleet/fleet-steps";
import type { PlanIntent } from "../plan/plan-intent";
import { createPlan, type RollbackPlan } from "../plan/rollback-plan";
import { defineStep, type Step } from "../plan/step";
import { HINTS } from "../presets/veza-runbook";
import type { Topology } from "../topology/topology";
import { shaSchema, simpleNameSchema } from "../validate/schemas";
import { colorRunningCheck } from "./color-running-check";
import { definedFields } from "./defined-fields";
import type { DriversFor } from "./drivers";
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

/** Input of {@link fleetFlip}. */
export interface FleetFlipInput extends RecipeBaseInput {
  /** The color to flip every edge to; default: the prior color. Required when the edges disagree (converging). */
  readonly target?: string;
  /** How the public probe retries after the switch. */
  readonly probe?: ProbeOptionsInput;
  /**
   * Leave edges that fail to commit or confirm behind instead of putting every edge
   * back: the fleet is split on purpose, a marker names the lagging edges and `observe`
   * reports it until `clearDegraded`. Only with `acknowledged: true`.
   */
  readonly allowDegraded?: { readonly acknowledged: true };
}

/** The drivers {@link fleetFlip} uses: the edges, and the marker store when degrading is allowed. */
export type FleetFlipDrivers = DriversFor<"host" | "probe" | "edges", "fleetMarker">;

const fleetFlipInput = (t: Topology): z.ZodType<FleetFlipInput> =>
  recipeBaseSchema
    .extend({
      target: colorSchema(t).optional(),
      probe: probeOptionsSchema.optional(),
      allowDegraded: z
        .object({
          acknowledged: z.literal(true, {
            error: "a split fleet must be acknowledged: allowDegraded: { acknowledged: true }",
          }),
        })
        .strict()
        .optional(),
    })
    .strict();

const fleetFlipParams = (t: Topology) =>
  z
    .object({
      target: colorSchema(t),
      sha: shaSchema.optional(),
      from: z.record(simpleNameSchema, colorSchema(t)),
      allowDegraded: z.boolean(),
      probe: probeOptionsSchema.optional(),
    })
    .strict();

const PRECHECKS_GROUP = "pre-checks";
const OP = "fleetFlip";

/** The topology's edges with their switches; `invalid_input` naming what is missing. */
export function fleetEdges(
  topology: Topology,
  edges: Readonly<Record<string, FleetEdge["sw"]>> | undefined,
  op: string,
): Result<FleetEdge[], DriverError> {
  const names = topology.traffic.edges;
  if (!names)
    return err(
      recipeError(op, "invalid_input", "the topology's traffic role lists no edges", {
        hint: "list the edges in traffic.edges, or use fastFlip for one proxy",
      }),
    );
  const missing = names.filter((n) => !edges?.[n]);
  if (missing.length > 0)
    return err(
      recipeError(op, "invalid_input", `no traffic switch is given for edge ${missing.join(", ")}`, {
        hint: "pass drivers.edges with one switch per name of traffic.edges",
      }),
    );
  return ok(names.map((name) => ({ name, sw: edges?.[name] as FleetEdge["sw"] })));
}

/** A verification that every edge that was not left behind records and serves the target. */
function fleetConvergedStep(edges: readonly FleetEdge[], color: string): Step<readonly string[]> {
  const id = "fleet-converged";
  return defineStep<readonly string[]>({
    id,
    title: `Verify every edge records ${color}`,
    kind: "verify",
    idempotent: true,
    describe: () => edges.flatMap((e) => e.sw.describe("readState", { color })),
    run: (ctx) => {
      const lagging = ctx.output(FLEET_OUTPUTS.commit)?.lagging ?? [];
      const behind = (edge: FleetEdge) => lagging.some((l) => l.edge === edge.name);
      if (edges.every(behind))
        return errAsync(
          stepError(id, "failed", `no edge serves ${color}: every edge was left behind`, {
            hint: "observe the fleet; every edge is back on its previous config",
          }),
        );
      return ResultAsync.combine(
        edges.map((edge) => {
          if (behind(edge)) return okAsync(`${edge.name}: left behind`);
          return edge.sw
            .readState()
            .mapErr((e) => fromDriverError(id, e))
            .andThen((s) =>
              s.activeColor === color
                ? okAsync(`${edge.name}: ${color}`)
                : errAsync(
                    stepError(id, "failed", `edge ${edge.name} records ${s.activeColor}, not ${color}`, {
                      hint: "observe the fleet and converge it",
                    }),
                  ),
            );
        }),
      );
    },
  });
}

function fleetFlipPlanFromIntent(
  topology: Topology,
  drivers: FleetFlipDrivers,
  intent: PlanIntent,
): Result<RollbackPlan, DriverError> {
  return parseParams(fleetFlipParams(topology), intent, OP).andThen(
    ({ target, sha, from, allowDegraded, probe }) =>
      fleetEdges(topology, drivers.edges, OP).andThen((edges) => {
        if (allowDegraded && !drivers.fleetMarker)
          return err(
            recipeError(
              OP,
              "invalid_input",
              "allowDegraded needs drivers.fleetMarker to leave its marker in",
              {
                hint: "pass a DegradedMarkerStore (fileDegradedMarker beside the journal)",
              },
            ),
          );
        const steps: Step[] = [
          { ...colorRunningCheck(drivers.host, topology, target), group: PRECHECKS_GROUP },
          ...fleetSwitchSteps(
            edges,
            {
              color: target,
              ...definedFields({ sha }),
              actor: intent.actor,
              from,
              allowDegraded,
              ...definedFields({ marker: drivers.fleetMarker }),
            },
            PRECHECKS_GROUP,
          ),
          ...publicProbeSteps(drivers.probe, topology, probe),
          fleetConvergedStep(edges, target),
        ];
        return createPlan(intent, steps);
      }),
  );
}

/**
 * Path 1 over a fleet of edge proxies (the topology's `traffic.edges`): all-or-nothing.
 * Preflight and prepare every edge, commit on all of them in parallel, confirm and record
 * each (see `fleetSwitchSteps`). Planning reads every edge: one unreachable refuses the
 * plan; edges that disagree (a split fleet) need an explicit `target`, and the flip then
 * converges them. The target defaults to the prior color of the first edge's history.
 */
export function fleetFlip(
  topology: Topology,
  drivers: FleetFlipDrivers,
  input: FleetFlipInput,
): ResultAsync<RollbackPlan, DriverError> {
  const parsed = parseRecipeInput(OP, topology, [], fleetFlipInput, input);
  if (parsed.isErr()) return errAsync(parsed.error);
  const { topology: t, input: args } = parsed.value;
  const edges = fleetEdges(t, drivers.edges, OP);
  if (edges.isErr()) return errAsync(edges.error);
  return ResultAsync.combine(
    edges.value.map((e) =>
      e.sw
        .readState()
        .map((state) => ({ edge: e.name, state }))
        .mapErr((error) => ({ ...error, message: `edge ${e.name}: ${error.message}` })),
    ),
  ).andThen((states) => {
    const from = Object.fromEntries(states.map((s) => [s.edge, s.state.activeColor]));
    const colors = [...new Set(states.map((s) => s.state.activeColor))];
    const first = states[0]?.state;
    if (colors.length > 1 && args.target === undefined)
      return err(
        recipeError(
          OP,
          "conflict",
          `the fleet is split: ${states.map((s) => `${s.edge} on ${s.state.activeColor}`).join(", ")}`,
          { hint: "converge it first: fleetFlip with the target color every edge should serve" },
        ),
      );
    const current = colors.length === 1 ? colors[0] : undefined;
    const prior = first?.history.find((h) => h.color !== current);
    const target = args.target ?? prior?.color ?? t.colors.find((c) => c !== current);
    if (target === undefined || target === current)
      return err(
        recipeError(
          OP,
          "conflict",
          `${target ?? "the target"} is already live on every edge: nothing to flip`,
          {
            hint: `if ${current} itself is broken, ${HINTS.usePath2}`,
          },
        ),
      );
    const recorded = first?.history.find((h) => h.color === target)?.sha;
    const sha = shaSchema.safeParse(recorded).success ? recorded : undefined;
    const intent: PlanIntent = {
      path: "fleet-flip",
      env: t.env,
      ...definedFields({ from: current }),
      to: target,
      ...definedFields({ sha }),
      actor: args.actor,
      reason: args.reason,
      params: {
        target,
        from,
        allowDegraded: args.allowDegraded?.acknowledged === true,
        ...definedFields({ sha, probe: args.probe }),
      },
    };
    return fleetFlipPlanFromIntent(t, drivers, intent);
  });
}

/** Path 1 over a fleet as a registered recipe: resumable through a recipe registry. */
export const fleetFlipRecipe = defineRecipe({
  path: "fleet-flip",
  drivers: ["host", "probe", "edges"],
  optionalDrivers: ["fleetMarker"],
  plan: fleetFlipPlanFromIntent,
});
