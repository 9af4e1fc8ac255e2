import { errAsync, okAsync } from "neverthrow";
import { fromDriverError, stepError } from "../errors/step-error";
import { defineStep, type Step, stepHandle } from "../plan/step";
import { HINTS } from "../presets/veza-runbook";
import { colorContainers, type Topology } from "../topology/topology";
import type { Drivers } from "./drivers";
import { hostActions, readStateActions } from "./port-actions";

/** The step id of {@link idleColorCheck}. */
export const IDLE_COLOR_STEP_ID = "pick-idle-color";

/** What the idle-color check saw: the idle and live colors, and which idle containers were RUNNING before any change. */
export interface IdleColorOutput {
  readonly color: string;
  readonly live: string;
  readonly running: readonly string[];
}

/** A typed handle to {@link idleColorCheck}'s output. */
export const IDLE_COLOR_OUTPUT = stepHandle<IdleColorOutput>(IDLE_COLOR_STEP_ID);

/**
 * Phase B: traffic is still on `live` (as when the plan was made) and every container
 * of the idle color exists (this SDK stages into existing containers; recreating them is
 * the pipeline's job).
 */
export function idleColorCheck(
  drivers: Pick<Drivers, "traffic" | "host">,
  topology: Topology,
  live: string,
  idle: string,
): Step<IdleColorOutput> {
  const names = colorContainers(topology, idle);
  return defineStep({
    id: IDLE_COLOR_STEP_ID,
    title: `Pick the idle color: ${idle} (live is ${live})`,
    kind: "check",
    idempotent: true,
    describe: () => [
      ...readStateActions(drivers.traffic),
      ...hostActions(drivers.host, { op: "list", names }),
    ],
    run: () =>
      drivers.traffic
        .readState()
        .andThen((state) => drivers.host.list({ names }).map((instances) => ({ state, instances })))
        .mapErr((e) => fromDriverError(IDLE_COLOR_STEP_ID, e))
        .andThen(({ state, instances }) => {
          if (state.activeColor !== live)
            return errAsync(
              stepError(
                IDLE_COLOR_STEP_ID,
                "conflict",
                `traffic moved since the plan was made: ${state.activeColor} is live, not ${live}`,
                { hint: "observe again and re-plan" },
              ),
            );
          const missing = names.filter((n) => !instances.some((i) => i.name === n));
          if (missing.length > 0)
            return errAsync(
              stepError(IDLE_COLOR_STEP_ID, "not_found", `${missing.join(", ")} do not exist`, {
                hint: HINTS.usePipeline,
              }),
            );
          const running = instances.filter((i) => i.running).map((i) => i.name);
          return okAsync({ color: idle, live, running });
        }),
  });
}
