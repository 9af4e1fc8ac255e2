import { simpleNameSchema } from "@backflip/core/driver-kit";
import { cleanupColor } from "@backflip/core/recipes";
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
import { described } from "./table";

const schema = globalSchema.extend(runSchema.shape).extend({
  color: simpleNameSchema,
  via: z.enum(["native", "pipeline"], { error: "expected native or pipeline" }).default("native"),
  yes: z.boolean().default(false),
});

/** `rollback cleanup --color C`: reclaims a failed color's slot (the cleanup-failed.yml workflow). Dry run unless `--yes`. */
export const cleanupCommand: Command = {
  ...described("cleanup"),
  positionals: 0,
  options: { ...RUN_OPTIONS, color: { type: "string" }, via: { type: "string" }, yes: { type: "boolean" } },
  help: `Usage: %prog cleanup --color C [--yes] [options]

The runbook's "Veza cleanup" workflow: once forensics are done, destroy the failed
color's app containers to reclaim the slot. Refused for the live color. Without --yes
it only prints the plan.

Options:
  --color C             the failed color (required)
  --via native|pipeline delete through the container host (default), or dispatch cleanup-failed.yml
  --yes                 really do it

${RUN_HELP}

${GLOBAL_HELP}

Examples:
  %prog cleanup --color green
  %prog cleanup --color green --yes --reason "forensics done, INC-42"

${EXIT_CODES_HELP}`,
  async run(raw, out, session) {
    const args = validateOrFail(out, "cleanup", schema, raw.values);
    if (!args) return EXIT.usage;
    const planned = await planOnTarget(
      out,
      session,
      args,
      !args.yes,
      (target, who) =>
        cleanupColor(target.topology, target.drivers, { ...who, color: args.color, via: args.via }),
      { color: "--color", via: "--via" },
    );
    if (typeof planned === "number") return planned;
    if (!args.yes) return dryRunOnly(out, planned.plan, "--yes");
    return runPlanned(out, planned, args);
  },
};
