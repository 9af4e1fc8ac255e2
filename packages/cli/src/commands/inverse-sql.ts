import { existsSync } from "node:fs";
import { applyInverseSql, requireDrivers } from "@backflip/core/recipes";
import * as z from "zod";
import { cliPathSchema, globalSchema, optional, RUN_OPTIONS, runSchema } from "../cli-args";
import { type Command, GLOBAL_HELP, planOnTarget, RUN_HELP, runPlanned, validateOrFail } from "../command";
import { showPlan } from "../execute-plan";
import { EXIT, EXIT_CODES_HELP } from "../exit-codes";
import { fail } from "../output";
import { described } from "./table";

const schema = globalSchema.extend(runSchema.shape).extend({
  file: cliPathSchema,
  "expected-version": optional(
    z
      .string()
      .regex(/^[0-9]{1,12}$/, "expected a whole number")
      .transform(Number),
  ),
  "dry-run": z.boolean().default(false),
});

/** `rollback inverse-sql --file F`: Path 3 — apply a destructive migration's inverse SQL in one transaction. */
export const inverseSqlCommand: Command = {
  ...described("inverse-sql"),
  positionals: 0,
  options: {
    ...RUN_OPTIONS,
    file: { type: "string" },
    "expected-version": { type: "string" },
    "dry-run": { type: "boolean" },
  },
  help: `Usage: %prog inverse-sql --file F [options]

Path 3, "a destructive migration poisoned the schema": the runbook's
\`incus exec <env>-postgres -- psql -U veza veza < /tmp/inverse.sql\`. Reads the migration
state, applies the SQL in one transaction (ON_ERROR_STOP: all or nothing), reads the
state again. Then run Path 2.

Options:
  --file F                 the inverse SQL (from the migration's PR description), required:
                           a regular file of UTF-8 text, at most 1000000 bytes
  --expected-version N     the schema_migrations version it leaves: verified after
  --dry-run                print the plan and stop

${RUN_HELP}

${GLOBAL_HELP}

Examples:
  %prog inverse-sql --file /tmp/inverse.sql --expected-version 41 --reason "migration 42 dropped users.email"

${EXIT_CODES_HELP}`,
  async run(raw, out, session) {
    const args = validateOrFail(out, "inverse-sql", schema, raw.values);
    if (!args) return EXIT.usage;
    // a file that is not there is bad input (exit 2), said before anything is opened
    if (!existsSync(args.file))
      return fail(out, EXIT.usage, {
        message: `--file ${args.file}: no such file`,
        hint: "give the inverse SQL's path (from the migration's PR description)",
        reason: "usage",
      });
    const planned = await planOnTarget(
      out,
      session,
      args,
      args["dry-run"],
      (target, who) =>
        requireDrivers(target.drivers, ["database"], "applyInverseSql").asyncAndThen((drivers) =>
          applyInverseSql(target.topology, drivers, {
            ...who,
            sqlFile: args.file,
            ...(args["expected-version"] === undefined
              ? {}
              : { expectedVersionAfter: args["expected-version"] }),
          }),
        ),
      { sqlFile: "--file", expectedVersionAfter: "--expected-version" },
    );
    if (typeof planned === "number") return planned;
    if (args["dry-run"]) return showPlan(planned.plan, out);
    return runPlanned(out, planned, args);
  },
};
