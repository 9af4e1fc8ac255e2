import { errAsync, okAsync } from "neverthrow";
import { fromDriverError, stepError } from "../errors/step-error";
import { defineStep, type Step } from "../plan/step";
import type { TrafficState, TrafficSwitch } from "../ports/traffic-switch";
import { readStateActions } from "./port-actions";

/**
 * A check that `color` is not the live color (the runbook's `cat /var/lib/veza/active-color`);
 * fails with `conflict`, `message` and `hint` when it is. Its output is the traffic state read.
 */
export function notLiveCheck(
  id: string,
  traffic: TrafficSwitch,
  color: string,
  refusal: { title: string; message: string; hint: string },
): Step<TrafficState> {
  return defineStep<TrafficState>({
    id,
    title: refusal.title,
    kind: "check",
    idempotent: true,
    describe: () => readStateActions(traffic),
    run: () =>
      traffic
        .readState()
        .mapErr((e) => fromDriverError(id, e))
        .andThen((state) =>
          state.activeColor === color
            ? errAsync(stepError(id, "conflict", refusal.message, { hint: refusal.hint }))
            : okAsync(state),
        ),
  });
}
