import type { DriverError, RollbackPlan } from "@backflip/core";
import { simpleNameSchema } from "@backflip/core/driver-kit";
import { fastFlip, redeploy, redeployViaPipeline, requireDrivers } from "@backflip/core/recipes";
import { okAsync, type ResultAsync } from "neverthrow";
import * as z from "zod";
import { flagNotIn, globalSchema, optional, RUN_OPTIONS, runSchema } from "../cli-args";
import {
  type Command,
  GLOBAL_HELP,
  type Planned,
  planOnTarget,
  RUN_HELP,
  runPlanned,
  validateOrFail,
} from "../command";
import { showPlan } from "../execute-plan";
import { EXIT, EXIT_CODES_HELP } from "../exit-codes";
import { fail } from "../output";
import { printPlan } from "../progress";
import { resolveSha, shaPrefixSchema } from "../resolve-sha";
import type { Target } from "../target";
import { EMERGENCY_HELP, EMERGENCY_OPTIONS, runEmergency } from "./emergency";
import { described } from "./table";

const planOptions = {
  ...RUN_OPTIONS,
  mode: { type: "string" },
  "target-color": { type: "string" },
  "release-sha": { type: "string" },
  via: { type: "string" },
} as const;

const rollbackOptions = { ...planOptions, "dry-run": { type: "boolean" }, yes: { type: "boolean" } } as const;

const schema = globalSchema
  .extend(runSchema.shape)
  .extend({
    mode: z.enum(["fast", "full"], { error: "expected fast, full or emergency" }),
    "target-color": optional(simpleNameSchema),
    "release-sha": optional(shaPrefixSchema),
    via: z.enum(["native", "pipeline"], { error: "expected native or pipeline" }).default("native"),
    "dry-run": z.boolean().default(false),
    yes: z.boolean().default(false),
  })
  .superRefine((v, ctx) => {
    if (v.mode === "fast" && v["release-sha"])
      ctx.addIssue({ code: "custom", path: ["release-sha"], message: "leave it empty with --mode fast" });
    if (v.mode === "full" && !v["release-sha"])
      ctx.addIssue({
        code: "custom",
        path: ["release-sha"],
        message: "required with --mode full: the SHA to roll back TO",
      });
    if (v.mode === "full" && v["target-color"])
      ctx.addIssue({
        code: "custom",
        path: ["target-color"],
        message: "leave it empty with --mode full (the idle color is used)",
      });
    if (v.mode === "fast" && v.via === "pipeline")
      ctx.addIssue({ code: "custom", path: ["via"], message: "only --mode full runs through the pipeline" });
  });

type RollbackArgs = z.output<typeof schema>;

/** Builds the plan the workflow inputs ask for: Path 1 (`fast`) or Path 2 (`full`, native or through the pipeline). */
export function rollbackPlan(
  target: Target,
  args: RollbackArgs,
  who: { actor: string; reason: string },
): ResultAsync<RollbackPlan, DriverError> {
  const { topology, drivers } = target;
  if (args.mode === "fast")
    return fastFlip(topology, drivers, {
      ...who,
      ...(args["target-color"] ? { target: args["target-color"] } : {}),
    });
  return resolveSha(args["release-sha"] ?? "", drivers, topology.containers.components).andThen((sha) =>
    args.via === "pipeline"
      ? requireDrivers(drivers, ["pipeline"], "redeployViaPipeline").asyncAndThen((d) =>
          redeployViaPipeline(topology, d, { ...who, sha }),
        )
      : requireDrivers(drivers, ["registry"], "redeploy").asyncAndThen((d) =>
          redeploy(topology, d, { ...who, sha }),
        ),
  );
}

/**
 * The warning for a fast flip onto the color the last Backflip run rolled the environment
 * away from (the history's head was made by a run, and the color before it is the
 * target), or `null`. A history that cannot be read gives no warning: planning read it.
 */
export function flipBackWarning({ target, plan }: Planned): ResultAsync<string | null, never> {
  if (plan.intent.path !== "fast-flip") return okAsync(null);
  const to = plan.intent.params?.target;
  return target.drivers.traffic
    .readState()
    .map(({ history: [last, before] }) =>
      last?.runId && before && before.color === to && last.color !== to
        ? `the last run (${last.runId}${last.actor ? ` by ${last.actor}` : ""}, ${last.at}) rolled ${target.topology.env} away from ${to}${before.sha ? ` (release ${before.sha.slice(0, 12)})` : ""}: this flips back onto it`
        : null,
    )
    .orElse(() => okAsync(null));
}

const MODES_HELP = `Mode options (the rollback.yml workflow inputs):
  --mode fast|full    fast: Path 1, flip HAProxy back to a color still running
                      full: Path 2, re-deploy an older SHA into the idle color
  --target-color C    fast only: the color to flip to (default: the prior color)
  --release-sha SHA   full only, required: the SHA to roll back TO (a unique prefix,
                      e.g. the 12 characters status shows, is resolved against
                      the history and the registry)
  --via native|pipeline
                      full only: deploy natively (default), or dispatch rollback.yml
${EMERGENCY_HELP}`;

function makeCommand(name: "rollback" | "plan"): Command {
  const running = name === "rollback";
  return {
    ...described(name),
    positionals: 0,
    options: { ...(running ? rollbackOptions : planOptions), ...EMERGENCY_OPTIONS },
    help: `Usage: %prog ${name} --mode fast|full|emergency [options]

${running ? "Runs the rollback the workflow inputs ask for: checks first (nothing changes when one\nfails), then the changes, then the verifications; a failed verification reverts.\nProgress shows each step and the elapsed time. On a terminal it shows the plan and asks\nfirst (--yes skips that), and warns before flipping onto the color the last run rolled\naway from." : "Plans the rollback the workflow inputs ask for and prints it — every step with the exact\ncommands it would make. Reads the target; changes nothing."}

${MODES_HELP}
${running ? "  --dry-run           print the plan and stop (same as `%prog plan`)\n  --yes               on a terminal, run without asking (without a terminal nothing is asked)\n" : ""}
${RUN_HELP}

${GLOBAL_HELP}

Examples:
  %prog ${name} --mode fast --reason "green 500s"${running ? "" : " --json"}
  %prog ${name} --mode fast --target-color blue --actor alice --reason "green 500s"
  %prog ${name} --mode full --release-sha 0123456789abcdef0123456789abcdef01234567 --reason "back to Monday's release"
  %prog ${name} --mode emergency --action inverse-sql --file /tmp/inverse.sql --reason "migration 42 dropped users.email"

${EXIT_CODES_HELP}`,
    async run(raw, out, session) {
      if (raw.values.mode === "emergency") return runEmergency(name, raw, out, session);
      // a flag only --mode emergency takes
      const stray = flagNotIn(raw.values, running ? rollbackOptions : planOptions);
      if (stray)
        return fail(out, EXIT.usage, {
          message: `--${stray}: only with --mode emergency (and an --action that takes it)`,
          hint: `see: ${out.program.name} ${name} --help`,
          reason: "usage",
        });
      const args = validateOrFail(out, name, schema, raw.values);
      if (!args) return EXIT.usage;
      const dryRun = !running || args["dry-run"];
      const planned = await planOnTarget(
        out,
        session,
        args,
        dryRun,
        (target, who) => rollbackPlan(target, args, who),
        { target: "--target-color", sha: "--release-sha" },
      );
      if (typeof planned === "number") return planned;
      if (dryRun) return showPlan(planned.plan, out);
      const warning = (await flipBackWarning(planned)).unwrapOr(null);
      if (warning) {
        out.problem(`warning: ${warning}`);
        out.object({ type: "warning", message: warning });
      }
      if (session.confirm && !args.yes) {
        printPlan(planned.plan, out.text);
        const question = warning ? "Flip back onto it anyway?" : "Run this plan?";
        if (!(await session.confirm(question))) {
          out.text("nothing was changed.");
          out.object({ type: "declined" });
          return EXIT.ok;
        }
      }
      return runPlanned(out, planned, args);
    },
  };
}

/** `%prog rollback`: runs Path 1 or Path 2 from the workflow inputs. */
export const rollbackCommand = makeCommand("rollback");

/** `%prog plan`: the dry run of the same. */
export const planCommand = makeCommand("plan");
