import { errAsync, okAsync, ResultAsync } from "neverthrow";
import { fromDriverError, stepError } from "../errors/step-error";
import { defineStep, type Step } from "../plan/step";
import type { HistoryEntry, TrafficSwitch } from "../ports/traffic-switch";
import { note, readStateActions } from "./port-actions";
import { SWITCH_OUTPUTS } from "./traffic-switch-steps";

/** The step id of {@link convergedStep}. */
export const CONVERGED_STEP_ID = "post-run-facts";

/** The facts after a switch: what the proxy runs, the state file, the history head. */
export interface ConvergedFacts {
  readonly activeColor: string;
  readonly historyHead: HistoryEntry | null;
  readonly liveRevision: string | null;
}

/**
 * Verifies the run converged: the proxy runs the rendered revision for `color`, the
 * state file says `color`, and the history head is `color` (live color = state file =
 * history head). Output: the post-run facts.
 */
export function convergedStep(sw: TrafficSwitch, color: string): Step<ConvergedFacts> {
  return defineStep({
    id: CONVERGED_STEP_ID,
    title: `Verify ${color} is live, in the state file and at the history head`,
    kind: "verify",
    idempotent: true,
    describe: () => [note(`${sw.name}: ask the proxy which revision it serves`), ...readStateActions(sw)],
    run: (ctx) => {
      const rendered = ctx.output(SWITCH_OUTPUTS.render);
      return ResultAsync.combine([sw.readState(), sw.liveRevision()] as const)
        .mapErr((e) => fromDriverError(CONVERGED_STEP_ID, e))
        .andThen(([state, liveRevision]) => {
          const facts: ConvergedFacts = {
            activeColor: state.activeColor,
            historyHead: state.history[0] ?? null,
            liveRevision,
          };
          const problems = [
            state.activeColor === color ? "" : `the state file says ${state.activeColor}`,
            facts.historyHead?.color === color
              ? ""
              : `the history head is ${facts.historyHead?.color ?? "empty"}`,
            rendered && liveRevision !== rendered.revision
              ? `the proxy runs revision ${liveRevision ?? "none"}, not ${rendered.revision}`
              : "",
          ].filter(Boolean);
          if (problems.length === 0) return okAsync(facts);
          return errAsync(
            stepError(CONVERGED_STEP_ID, "failed", `${color} did not converge: ${problems.join("; ")}`, {
              hint: "the run reverts; check the proxy config and the state file by hand",
            }),
          );
        });
    },
  });
}
