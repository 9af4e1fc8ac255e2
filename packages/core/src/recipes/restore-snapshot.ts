import { err, errAsync, okAsync, type Result, type ResultAsync } from "neverthrow";
import * as z from "zod";
import type { DriverError } from "../errors/driver-error";
import { fromDriverError, stepError } from "../errors/step-error";
import type { PlanIntent } from "../plan/plan-intent";
import { createPlan, type RollbackPlan } from "../plan/rollback-plan";
import { defineStep } from "../plan/step";
import type { DataLossReport } from "../ports/snapshot-store";
import { RUNBOOK } from "../presets/veza-runbook";
import { datasetName, type Topology } from "../topology/topology";
import { lazySchema } from "../validate/lazy-schema";
import { datasetNameSchema, instanceNameSchema, shaSchema, snapshotNameSchema } from "../validate/schemas";
import { describeDataLoss } from "./describe-data-loss";
import type { DriversFor } from "./drivers";
import { hostActions, note, snapshotActions } from "./port-actions";
import { defineRecipe } from "./recipe";
import {
  parseParams,
  parseRecipeInput,
  type RecipeBaseInput,
  recipeBaseSchema,
  recipeError,
} from "./recipe-input";

/** Input of {@link restoreSnapshot} and {@link planRestoreSnapshot}: at most one of `snapshot` and `sha`. */
export interface RestoreSnapshotInput extends RecipeBaseInput {
  /** The data container (default: the topology's `database.container`). */
  readonly container?: string;
  /** The snapshot name after `@`, e.g. `pre-deploy-<sha>`… */
  readonly snapshot?: string;
  /** …or the deploy's SHA (snapshot `<snapshots.prefix><sha>`). Default: the newest pre-deploy snapshot. */
  readonly sha?: string;
}

/** The drivers {@link restoreSnapshot} uses. */
export type RestoreSnapshotDrivers = DriversFor<"host" | "snapshots">;

/** The topology sections {@link restoreSnapshot} needs: `snapshots` (datasets and the snapshot prefix). */
const SECTIONS = ["snapshots"] as const;

const restoreInput = (): z.ZodType<RestoreSnapshotInput> =>
  recipeBaseSchema
    .extend({
      /** The data container (default: the topology's postgres container). */
      container: instanceNameSchema.optional(),
      /** The snapshot name after `@`, e.g. `pre-deploy-<sha>`… */
      snapshot: snapshotNameSchema.optional(),
      /** …or the deploy's SHA (snapshot `<snapshotPrefix><sha>`). Default: the newest pre-deploy snapshot. */
      sha: shaSchema.optional(),
    })
    .strict()
    .refine((v) => v.snapshot === undefined || v.sha === undefined, "give at most one of snapshot and sha");

/** What restoring a snapshot would do and lose, before anything changes. */
export interface RestoreSnapshotPreview {
  readonly container: string;
  readonly dataset: string;
  readonly snapshot: string;
  readonly report: DataLossReport;
  /** {@link describeDataLoss} of the report. */
  readonly summary: string;
}

const snapshotRefSchema = lazySchema(() =>
  z.object({
    dataset: z.string(),
    name: z.string(),
    createdAt: z.string(),
  }),
);

const restoreParams = lazySchema(() =>
  z.object({
    container: instanceNameSchema,
    dataset: datasetNameSchema,
    snapshot: snapshotNameSchema,
    report: z.object({
      target: snapshotRefSchema,
      destroyedSnapshots: z.array(snapshotRefSchema),
      sinceMs: z.number(),
      bytesWritten: z.number().nullable(),
    }),
  }),
);

const REPORT_STEP_ID = "data-loss-report";
const STOP_STEP_ID = "stop-container";
const ROLLBACK_STEP_ID = "zfs-rollback";
const START_STEP_ID = "start-container";
const RUNNING_STEP_ID = "container-running";

/**
 * What restoring would lose, changing nothing: resolves the snapshot (by name, by SHA, or
 * the newest `pre-deploy-` one) and asks the snapshot store what `rollback -r` destroys.
 */
export function planRestoreSnapshot(
  topology: Topology,
  drivers: RestoreSnapshotDrivers,
  input: RestoreSnapshotInput,
): ResultAsync<RestoreSnapshotPreview, DriverError> {
  const parsed = parseRecipeInput("restoreSnapshot", topology, SECTIONS, restoreInput, input);
  if (parsed.isErr()) return errAsync(parsed.error);
  const { topology: t, input: args } = parsed.value;
  const { snapshots } = drivers;
  const container = args.container ?? t.database?.container;
  if (container === undefined)
    return errAsync(
      recipeError("restoreSnapshot", "invalid_input", "container: name the data container to restore", {
        hint: "pass container, or give the topology a database section",
      }),
    );
  const prefix = t.snapshots.prefix;
  const dataset = datasetName(t.snapshots, container);
  const named = args.snapshot ?? (args.sha ? `${prefix}${args.sha}` : undefined);
  const snapshot: ResultAsync<string, DriverError> = named
    ? okAsync(named)
    : snapshots.list(dataset).andThen((list) => {
        const newest = list.filter((s) => s.name.startsWith(prefix)).at(-1);
        return newest
          ? okAsync(newest.name)
          : errAsync(
              recipeError("restoreSnapshot", "not_found", `${dataset} has no ${prefix}* snapshot`, {
                hint: "list the dataset's snapshots (zfs list -t snapshot) and name one",
              }),
            );
      });
  return snapshot.andThen((name) =>
    snapshots
      .planRollback(dataset, name)
      .map((report) => ({ container, dataset, snapshot: name, report, summary: describeDataLoss(report) })),
  );
}

/**
 * Builds the snapshot-restore plan from its intent (also used on resume): report the data
 * loss, stop the container, `zfs rollback -r` (destructive: the runner refuses it without
 * `acknowledgeDataLoss`, and so does the step), start the container, verify it runs.
 */
function restoreSnapshotPlanFromIntent(
  _topology: Topology,
  drivers: RestoreSnapshotDrivers,
  intent: PlanIntent,
): Result<RollbackPlan, DriverError> {
  const { snapshots } = drivers;
  return parseParams(restoreParams, intent, "restoreSnapshot").andThen(
    ({ container, dataset, snapshot, report }) => {
      const summary = describeDataLoss(report);
      const ref = `${dataset}@${snapshot}`;
      const { host } = drivers;
      const reportStep = defineStep<DataLossReport>({
        id: REPORT_STEP_ID,
        title: `Report what rolling ${dataset} back to @${snapshot} loses`,
        kind: "check",
        idempotent: true,
        describe: () => [...snapshotActions(snapshots, { op: "list", dataset }), note(summary)],
        run: (ctx) =>
          snapshots
            .planRollback(dataset, snapshot)
            .map((now) => {
              ctx.log(`data loss: ${describeDataLoss(now)}`);
              return now;
            })
            .mapErr((e) => fromDriverError(REPORT_STEP_ID, e)),
      });
      const stop = defineStep<{ wasRunning: boolean }>({
        id: STOP_STEP_ID,
        title: `Stop ${container}`,
        kind: "change",
        idempotent: true,
        describe: () => hostActions(host, { op: "stop", name: container }),
        run: () =>
          host
            .state(container)
            .andThen((info) =>
              host.stop(container, { timeoutS: 60 }).map(() => ({ wasRunning: info.running })),
            )
            .mapErr((e) => fromDriverError(STOP_STEP_ID, e)),
        undo: (_ctx, output) =>
          output.wasRunning
            ? host.start(container, { timeoutS: 60 }).mapErr((e) => fromDriverError(STOP_STEP_ID, e))
            : okAsync(undefined),
      });
      const rollback = defineStep<DataLossReport>({
        id: ROLLBACK_STEP_ID,
        title: `Roll ${dataset} back to @${snapshot} — DATA LOSS: every write since ${report.target.createdAt}`,
        kind: "change",
        destructive: true,
        describe: () => [
          ...snapshotActions(snapshots, { op: "rollback", dataset, name: snapshot }),
          note(summary),
        ],
        run: (ctx) =>
          ctx.acknowledgeDataLoss
            ? snapshots
                .rollback(dataset, snapshot, { acknowledgeDataLoss: true })
                .mapErr((e) => fromDriverError(ROLLBACK_STEP_ID, e))
            : errAsync(
                stepError(
                  ROLLBACK_STEP_ID,
                  "invalid_input",
                  `refusing zfs rollback -r ${ref} without acknowledgement: it ${summary}`,
                  {
                    hint: `${RUNBOOK.path3Host} Re-run with acknowledgeDataLoss: true to accept the loss.`,
                  },
                ),
              ),
      });
      const start = defineStep<void>({
        id: START_STEP_ID,
        title: `Start ${container}`,
        kind: "change",
        idempotent: true,
        describe: () => hostActions(host, { op: "start", name: container }),
        run: () => host.start(container, { timeoutS: 60 }).mapErr((e) => fromDriverError(START_STEP_ID, e)),
      });
      const running = defineStep<void>({
        id: RUNNING_STEP_ID,
        title: `Verify ${container} is RUNNING`,
        kind: "verify",
        idempotent: true,
        describe: () => hostActions(host, { op: "list", names: [container] }),
        run: () =>
          host
            .state(container)
            .mapErr((e) => fromDriverError(RUNNING_STEP_ID, e))
            .andThen((info) =>
              info.running
                ? okAsync(undefined)
                : errAsync(
                    stepError(RUNNING_STEP_ID, "failed", `${container} is ${info.status} after the restore`),
                  ),
            ),
      });
      return createPlan(intent, [reportStep, stop, rollback, start, running]);
    },
  );
}

/**
 * Path 3 — the Incus host is broken: stop the data container, `zfs rollback -r` its
 * dataset to the pre-deploy snapshot, start it. Loses every write since the snapshot:
 * the plan's destructive step carries the data-loss report (also in `intent.params.report`
 * and from {@link planRestoreSnapshot}), and running it needs `acknowledgeDataLoss`.
 * Last resort only.
 */
export function restoreSnapshot(
  topology: Topology,
  drivers: RestoreSnapshotDrivers,
  input: RestoreSnapshotInput,
): ResultAsync<RollbackPlan, DriverError> {
  return planRestoreSnapshot(topology, drivers, input).andThen((preview) => {
    const parsed = parseRecipeInput("restoreSnapshot", topology, SECTIONS, restoreInput, input);
    if (parsed.isErr()) return err(parsed.error);
    const { topology: t, input: args } = parsed.value;
    const intent: PlanIntent = {
      path: "restore-snapshot",
      env: t.env,
      actor: args.actor,
      reason: args.reason,
      params: {
        container: preview.container,
        dataset: preview.dataset,
        snapshot: preview.snapshot,
        report: preview.report,
      },
    };
    return restoreSnapshotPlanFromIntent(t, drivers, intent);
  });
}

/** Path 3's snapshot restore as a registered recipe: resumable through a recipe registry. */
export const restoreSnapshotRecipe = defineRecipe({
  path: "restore-snapshot",
  drivers: ["host", "snapshots"],
  sections: SECTIONS,
  plan: restoreSnapshotPlanFromIntent,
});
