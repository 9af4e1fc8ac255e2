import { errAsync, okAsync, ResultAsync } from "neverthrow";
import type { DriverError } from "../errors/driver-error";
import { fromDriverError, type StepError, stepError } from "../errors/step-error";
import { defineStep, type Reconciled, type Step, type StepContext, stepHandle } from "../plan/step";
import type { RenderedConfig, SwitchRequest, TrafficState, TrafficSwitch } from "../ports/traffic-switch";

/** Step ids of the switch steps, stable across plan rebuilds (resume matches on them). */
export const SWITCH_STEP_IDS = {
  readState: "read-state",
  render: "render-validate",
  activate: "activate",
  record: "record",
} as const;

/** Typed handles to the switch steps' outputs, for `ctx.output(handle)` in later steps. */
export const SWITCH_OUTPUTS = {
  /** The traffic state before the flip. */
  readState: stepHandle<TrafficState>(SWITCH_STEP_IDS.readState),
  /** The config rendered and validated for the flip. */
  render: stepHandle<RenderedConfig>(SWITCH_STEP_IDS.render),
} as const;

/** What the `activate` step did: the revision it made live and the one it replaced. */
export interface ActivateOutput {
  /** The revision now loaded by the proxy. */
  readonly revision: string;
  /** The revision the installed file replaced (`null` when unknown, e.g. after a resume). */
  readonly previousRevision: string | null;
}

/** A refusal of a write made under a lease that another run has broken since. */
const isFenced = (e: DriverError): boolean => e.reason === "conflict" && e.details?.fenced === true;

/** A switch request whose run id may be left to the run executing the steps. */
export type SwitchStepsRequest = Omit<SwitchRequest, "runId"> & { readonly runId?: string };

/**
 * The Path 1 flip as four steps over a {@link TrafficSwitch}:
 * 1. check `read-state`: the active color and history (output: the prior {@link TrafficState});
 * 2. check `render-validate`: render the config for `request.color` and validate it where it
 *    will run (output: the {@link RenderedConfig});
 * 3. change `activate`: install (atomic, keeps the previous) + reload + confirm the new
 *    revision is live; when reload or confirm fails it puts the previous config back before
 *    failing. Undo: restore the previous config, reload, confirm it. Reconcile: the proxy's
 *    live revision is the rendered one (a config installed but never live is put back);
 * 4. change `record`: write the active color and prepend a history line. Undo: write back
 *    the prior state. Reconcile: the history head carries this run's id.
 *
 * The run id stamped into the revision and the history is the executing run's
 * (`ctx.runId`); when `request.runId` is given it must be that run's id, or `read-state` fails.
 * Every write passes the run's lease (`ctx.fence`), so a run whose lease was broken is
 * refused by the switch (`conflict`, fenced) and, in `activate`, puts nothing back.
 */
export function trafficSwitchSteps(sw: TrafficSwitch, request: SwitchStepsRequest): Step[] {
  const where = sw.name;
  const target = { color: request.color, ...(request.sha === undefined ? {} : { sha: request.sha }) };
  const forRun = (ctx: StepContext): SwitchRequest => ({ ...request, runId: ctx.runId });
  const fail = (stepId: string) => (e: Parameters<typeof fromDriverError>[1]) => fromDriverError(stepId, e);
  const rendered = (ctx: StepContext): ResultAsync<RenderedConfig, StepError> => {
    const config = ctx.output(SWITCH_OUTPUTS.render);
    return config
      ? okAsync(config)
      : errAsync(
          stepError(SWITCH_STEP_IDS.activate, "failed", "the rendered config is missing from the run"),
        );
  };

  const readState = defineStep<TrafficState>({
    id: SWITCH_STEP_IDS.readState,
    title: `Read the active color and its history (${where})`,
    kind: "check",
    idempotent: true,
    describe: () => sw.describe("readState", target),
    run: (ctx) => {
      if (request.runId !== undefined && request.runId !== ctx.runId)
        return errAsync(
          stepError(
            SWITCH_STEP_IDS.readState,
            "invalid_input",
            `the switch was built for run ${request.runId} but runs as ${ctx.runId}`,
            { hint: "run the plan with the run id it was built for" },
          ),
        );
      return sw.readState().mapErr(fail(SWITCH_STEP_IDS.readState));
    },
  });

  const render = defineStep<RenderedConfig>({
    id: SWITCH_STEP_IDS.render,
    title: `Render the ${where} config for ${request.color} and validate it`,
    kind: "check",
    idempotent: true,
    describe: () => sw.describe("validate", target),
    run: (ctx) =>
      sw
        .render(forRun(ctx))
        .andThen((config) => sw.validate(config).map(() => config))
        .mapErr(fail(SWITCH_STEP_IDS.render)),
  });

  const A = SWITCH_STEP_IDS.activate;
  /** Puts the previous config back and makes it live again: the undo of `activate`. */
  const putBackPrevious = (ctx: StepContext): ResultAsync<void, DriverError> =>
    sw
      .restorePrevious(ctx.fence)
      .andThen(({ revision }) =>
        sw.reload(ctx.fence).andThen(() => (revision === null ? okAsync(undefined) : sw.confirm(revision))),
      );

  const activate = defineStep<ActivateOutput>({
    id: A,
    title: `Install the ${request.color} config, reload, confirm it is live`,
    kind: "change",
    idempotent: true,
    describe: () => sw.describe("activate", target),
    // A reload or confirm that fails after the install puts the previous config back itself:
    // the runner undoes only completed steps, and a new config left on disk would go live
    // at the next reload.
    run: (ctx) =>
      rendered(ctx).andThen((config) =>
        sw
          .install(config, ctx.fence)
          .mapErr(fail(A))
          .andThen(({ previousRevision }) =>
            sw
              .reload(ctx.fence)
              .andThen(() => sw.confirm(config.revision))
              .map((): ActivateOutput => ({ revision: config.revision, previousRevision }))
              .orElse((error) => {
                // Fenced: a newer run owns the switch now, and putting anything back is its call.
                if (isFenced(error)) return errAsync<ActivateOutput, StepError>(fromDriverError(A, error));
                ctx.log(`activation failed (${error.message}): putting the previous config back`);
                return putBackPrevious(ctx)
                  .mapErr((restoreError) =>
                    stepError(
                      A,
                      error.reason,
                      `${error.message}; putting the previous config back failed too: ${restoreError.message}`,
                      {
                        hint: `restore the ${where} config from its .prev copy by hand, validate it and reload`,
                        cause: error,
                      },
                    ),
                  )
                  .andThen(() => errAsync<ActivateOutput, StepError>(fromDriverError(A, error)));
              }),
          ),
      ),
    undo: (ctx) => {
      ctx.log("restoring the previous config");
      return putBackPrevious(ctx).mapErr(fail(A));
    },
    // Live → done. Installed but not live: a reload may still be in flight (the run was
    // killed mid-reload), so it gets the confirm window; live by then → done. Never live →
    // the previous config is put back on disk, so neither a resume nor the next reload
    // activates a config this run did not finish.
    reconcile: (ctx) =>
      rendered(ctx).andThen((config) => {
        const done = okAsync<Reconciled<ActivateOutput>, DriverError>({
          done: true,
          output: { revision: config.revision, previousRevision: null },
        });
        return ResultAsync.combine([sw.liveRevision(), sw.installedRevision()])
          .andThen(([live, installed]): ResultAsync<Reconciled<ActivateOutput>, DriverError> => {
            if (live === config.revision) return done;
            if (installed !== config.revision) return okAsync({ done: false });
            return sw
              .confirm(config.revision)
              .andThen(() => done)
              .orElse(() => {
                ctx.log(
                  "the new config was installed but never went live: putting the previous one back on disk",
                );
                return sw.restorePrevious(ctx.fence).map(() => ({ done: false as const }));
              });
          })
          .mapErr(fail(A));
      }),
  });

  const record = defineStep<TrafficState>({
    id: SWITCH_STEP_IDS.record,
    title: `Record ${request.color} as the active color`,
    kind: "change",
    describe: () => sw.describe("record", target),
    run: (ctx) => sw.record(forRun(ctx), ctx.fence).mapErr(fail(SWITCH_STEP_IDS.record)),
    undo: (ctx) => {
      const prior = ctx.output(SWITCH_OUTPUTS.readState);
      if (!prior)
        return errAsync(
          stepError(SWITCH_STEP_IDS.record, "failed", "the prior traffic state is missing from the run", {
            hint: "restore the active-color file and history by hand",
          }),
        );
      ctx.log(`restoring the active color ${prior.activeColor} and the history`);
      return sw.writeState(prior, ctx.fence).mapErr(fail(SWITCH_STEP_IDS.record));
    },
    // Recorded → done. Killed after the color was written but before the history (the
    // driver writes the color first) → the prior color is put back, so a revert does not
    // leave the state file naming a color the proxy no longer routes to.
    reconcile: (ctx) =>
      sw
        .readState()
        .andThen((state): ResultAsync<Reconciled<TrafficState>, DriverError> => {
          if (state.history[0]?.runId === ctx.runId) return okAsync({ done: true, output: state });
          const prior = ctx.output(SWITCH_OUTPUTS.readState);
          if (!prior || prior.activeColor === state.activeColor) return okAsync({ done: false });
          ctx.log(`the color was written but not the history: putting ${prior.activeColor} back`);
          return sw.writeState(prior, ctx.fence).map(() => ({ done: false as const }));
        })
        .mapErr(fail(SWITCH_STEP_IDS.record)),
  });

  return [readState, render, activate, record];
}
