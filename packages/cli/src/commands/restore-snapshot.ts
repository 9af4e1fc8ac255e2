import { instanceNameSchema, snapshotNameSchema } from "@backflip/core/driver-kit";
import { planRestoreSnapshot, requireDrivers, restoreSnapshot } from "@backflip/core/recipes";
import * as z from "zod";
import { globalSchema, RUN_OPTIONS, runSchema } from "../cli-args";
import {
  type Command,
  dryRunOnly,
  GLOBAL_HELP,
  planOnTarget,
  RUN_HELP,
  runPlanned,
  validateOrFail,
} from "../command";
import { EXIT, EXIT_CODES_HELP } from "../exit-codes";
import { fail } from "../output";
import { described } from "./table";

const schema = globalSchema.extend(runSchema.shape).extend({
  container: instanceNameSchema,
  snapshot: snapshotNameSchema,
  yes: z.boolean().default(false),
  "acknowledge-data-loss": z.boolean().default(false),
});

/** `rollback restore-snapshot`: Path 3 — ZFS rollback of a data container. Dry run unless `--yes --acknowledge-data-loss`. */
export const restoreSnapshotCommand: Command = {
  ...described("restore-snapshot"),
  positionals: 0,
  options: {
    ...RUN_OPTIONS,
    container: { type: "string" },
    snapshot: { type: "string" },
    yes: { type: "boolean" },
    "acknowledge-data-loss": { type: "boolean" },
  },
  help: `Usage: %prog restore-snapshot --container C --snapshot S [--yes --acknowledge-data-loss] [options]

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
  %prog restore-snapshot --container veza-staging-postgres --snapshot pre-deploy-<sha>
  %prog restore-snapshot --container veza-staging-postgres --snapshot pre-deploy-<sha> \\
    --yes --acknowledge-data-loss --reason "host broken, INC-42"

${EXIT_CODES_HELP}`,
  async run(raw, out, session) {
    const args = validateOrFail(out, "restore-snapshot", schema, raw.values);
    if (!args) return EXIT.usage;
    const dryRun = !args.yes;
    let loss = "";
    const planned = await planOnTarget(
      out,
      session,
      args,
      dryRun,
      (target, who) => {
        const input = { ...who, container: args.container, snapshot: args.snapshot };
        return requireDrivers(target.drivers, ["snapshots"], "restoreSnapshot").asyncAndThen((drivers) =>
          planRestoreSnapshot(target.topology, drivers, input).andThen((preview) => {
            loss = preview.summary;
            out.text(`DATA LOSS: ${preview.summary}`);
            out.object({ type: "data-loss", ...preview });
            return restoreSnapshot(target.topology, drivers, input);
          }),
        );
      },
      { container: "--container", snapshot: "--snapshot" },
    );
    if (typeof planned === "number") return planned;
    if (dryRun) return dryRunOnly(out, planned.plan, "--yes --acknowledge-data-loss");
    if (!args["acknowledge-data-loss"])
      return fail(out, EXIT.usage, {
        message: `--yes without --acknowledge-data-loss: ${loss}`,
        hint: "add --acknowledge-data-loss if losing that is acceptable",
        reason: "usage",
      });
    return runPlanned(out, planned, args, { acknowledgeDataLoss: true });
  },
};
