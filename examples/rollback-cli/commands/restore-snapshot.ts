import { instanceNameSchema, planRestoreSnapshot, restoreSnapshot, snapshotNameSchema } from "@backflip/core";
import { z } from "zod";
import { printPlan } from "../../lib/progress";
import { globalSchema, RUN_OPTIONS, runSchema } from "../cli-args";
import {
  type Command,
  dryRunOnly,
  GLOBAL_HELP,
  planOrFail,
  RUN_HELP,
  validateOrFail,
  whoOrFail,
} from "../command";
import { executePlan } from "../execute-plan";
import { EXIT, EXIT_CODES_HELP, exitForDriverError } from "../exit-codes";
import { fail, failDriver } from "../output";

const schema = globalSchema.extend(runSchema.shape).extend({
  container: instanceNameSchema,
  snapshot: snapshotNameSchema,
  yes: z.boolean().default(false),
  "acknowledge-data-loss": z.boolean().default(false),
});

/** `rollback restore-snapshot`: Path 3 — ZFS rollback of a data container. Dry run unless `--yes --acknowledge-data-loss`. */
export const restoreSnapshotCommand: Command = {
  name: "restore-snapshot",
  summary:
    "Path 3, last resort: ZFS rollback of a container (LOSES DATA); dry run unless --yes --acknowledge-data-loss",
  positionals: 0,
  options: {
    ...RUN_OPTIONS,
    container: { type: "string" },
    snapshot: { type: "string" },
    yes: { type: "boolean" },
    "acknowledge-data-loss": { type: "boolean" },
  },
  help: `Usage: rollback restore-snapshot --container C --snapshot S [--yes --acknowledge-data-loss] [options]

Path 3, "the Incus host is in a bad state": incus stop C; zfs rollback -r
<dataset of C>@S; incus start C. "This loses any data written after the snapshot.
Last-resort only." Always shows the data-loss report first (what is lost, which newer
snapshots are destroyed); does it only with both --yes and --acknowledge-data-loss.

Options:
  --container C              the container whose dataset is rolled back (required)
  --snapshot S               the snapshot name after @, e.g. pre-deploy-<sha> (required)
  --yes                      really do it ...
  --acknowledge-data-loss    ... and accept losing what the report lists

${RUN_HELP}

${GLOBAL_HELP}

Examples:
  rollback restore-snapshot --container veza-staging-postgres --snapshot pre-deploy-<sha>
  rollback restore-snapshot --container veza-staging-postgres --snapshot pre-deploy-<sha> \\
    --yes --acknowledge-data-loss --reason "host broken, INC-42"

${EXIT_CODES_HELP}`,
  async run(raw, out, session) {
    const args = validateOrFail(out, "restore-snapshot", schema, raw.values);
    if (!args) return EXIT.usage;
    const dryRun = !args.yes;
    const who = whoOrFail(out, args, dryRun);
    if (typeof who === "number") return who;
    const target = await session.open(args, out);
    if (typeof target === "number") return target;
    const input = { ...who, container: args.container, snapshot: args.snapshot };
    const preview = await planRestoreSnapshot(target.topology, target.drivers, input);
    if (preview.isErr()) return failDriver(out, exitForDriverError(preview.error), preview.error);
    out.text(`DATA LOSS: ${preview.value.summary}`);
    out.object({ type: "data-loss", ...preview.value });
    const plan = await planOrFail(out, restoreSnapshot(target.topology, target.drivers, input));
    if (typeof plan === "number") return plan;
    if (dryRun) {
      printPlan(plan, out.text);
      out.object({ type: "plan", plan: plan.describe() });
      return dryRunOnly(out, "--yes --acknowledge-data-loss");
    }
    if (!args["acknowledge-data-loss"])
      return fail(out, EXIT.usage, {
        message: `--yes without --acknowledge-data-loss: ${preview.value.summary}`,
        hint: "add --acknowledge-data-loss if losing that is acceptable",
        reason: "usage",
      });
    return executePlan(target, plan, out, {
      actor: who.actor,
      metricsFile: args["metrics-file"],
      lockTtlS: args["lock-ttl"],
      acknowledgeDataLoss: true,
    });
  },
};
