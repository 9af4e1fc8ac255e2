import { errAsync, okAsync } from "neverthrow";
import { fromDriverError, stepError } from "../errors/step-error";
import { defineStep, type Step } from "../plan/step";
import type { DispatchRequest, Pipeline, PipelineRun } from "../ports/pipeline";
import { definedFields } from "./defined-fields";
import { pipelineActions } from "./port-actions";

/** The step id of the dispatch step of {@link pipelineSteps}. */
export const DISPATCH_STEP_ID = "dispatch-workflow";
/** The step id of the follow step of {@link pipelineSteps}. */
export const FOLLOW_STEP_ID = "follow-workflow";

/**
 * The "Run workflow" button as two steps: change `dispatch-workflow` (output: the run;
 * undo: cancel it, a no-op once it finished) and verify `follow-workflow` (polls the run
 * to its end; anything but `success` fails with `hint`).
 */
export function pipelineSteps(
  pipeline: Pipeline,
  request: DispatchRequest,
  options: { deadlineMs: number; pollMs?: number; hint: string },
): Step[] {
  const inputs = Object.entries(request.inputs)
    .map(([k, v]) => `${k}=${v}`)
    .join(" ");
  const dispatch = defineStep<PipelineRun>({
    id: DISPATCH_STEP_ID,
    title: `Run workflow ${request.workflow} on ${request.ref} (${inputs})`,
    kind: "change",
    describe: () => pipelineActions(pipeline, { op: "dispatch", request }),
    run: (ctx) =>
      pipeline
        .dispatch(request)
        .map((run) => {
          ctx.log(`dispatched ${request.workflow}: run ${run.id}${run.url ? ` ${run.url}` : ""}`);
          return run;
        })
        .mapErr((e) => fromDriverError(DISPATCH_STEP_ID, e)),
    undo: (ctx, run) => {
      ctx.log(`cancelling run ${run.id} (a no-op when it already finished)`);
      return pipeline.cancel(run.id).mapErr((e) => fromDriverError(DISPATCH_STEP_ID, e));
    },
  });
  const follow = defineStep<PipelineRun>({
    id: FOLLOW_STEP_ID,
    title: `Follow the ${request.workflow} run to its end`,
    kind: "verify",
    idempotent: true,
    timeoutMs: options.deadlineMs + 10_000,
    describe: () => pipelineActions(pipeline, { op: "follow", pollMs: options.pollMs ?? 5000 }),
    run: (ctx) => {
      const run = ctx.output(dispatch);
      if (!run)
        return errAsync(stepError(FOLLOW_STEP_ID, "failed", "the dispatched run is missing from the run"));
      return pipeline
        .follow(run.id, {
          deadlineMs: options.deadlineMs,
          ...definedFields({ pollMs: options.pollMs }),
          signal: ctx.signal,
          onStatus: (r) => ctx.log(`run ${r.id}: ${r.status}`),
        })
        .mapErr((e) => fromDriverError(FOLLOW_STEP_ID, e, options.hint))
        .andThen((final) =>
          final.status === "success"
            ? okAsync(final)
            : errAsync(
                stepError(
                  FOLLOW_STEP_ID,
                  "failed",
                  `${request.workflow} run ${final.id} ended ${final.status}`,
                  {
                    hint: options.hint,
                  },
                ),
              ),
        );
    },
  });
  return [dispatch, follow];
}
