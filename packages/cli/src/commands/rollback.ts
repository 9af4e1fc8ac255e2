import type { DriverError, RollbackPlan } from "@backflip/core";
import { shaSchema, simpleNameSchema } from "@backflip/core/driver-kit";
import { fastFlip, redeploy, redeployViaPipeline, requireDrivers } from "@backflip/core/recipes";
import type { ResultAsync } from "neverthrow";
import { z } from "zod";
import { globalSchema, optional, RUN_OPTIONS, runSchema } from "../cli-args";
import { type Command, GLOBAL_HELP, planOnTarget, RUN_HELP, runPlanned, validateOrFail } from "../command";
import { showPlan } from "../execute-plan";
import { EXIT, EXIT_CODES_HELP } from "../exit-codes";
import type { Target } from "../target";

const planOptions = {
  ...RUN_OPTIONS,
  mode: { type: "string" },
  "target-color": { type: "string" },
  "release-sha": { type: "string" },
  via: { type: "string" },
} as const;

const rollbackOptions = { ...planOptions, "dry-run": { type: "boolean" } } as const;

const schema = globalSchema
  .extend(runSchema.shape)
  .extend({
    mode: z.enum(["fast", "full"], { error: "expected fast or full" }),
    "target-color": optional(simpleNameSchema),
    "release-sha": optional(shaSchema),
    via: z.enum(["native", "pipeline"], { error: "expected native or pipeline" }).default("native"),
    "dry-run": z.boolean().default(false),
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
  const sha = args["release-sha"] ?? "";
  return args.via === "pipeline"
    ? requireDrivers(drivers, ["pipeline"], "redeployViaPipeline").asyncAndThen((d) =>
        redeployViaPipeline(topology, d, { ...who, sha }),
      )
    : requireDrivers(drivers, ["registry"], "redeploy").asyncAndThen((d) =>
        redeploy(topology, d, { ...who, sha }),
      );
}

const MODES_HELP = `Mode options (the rollback.yml workflow inputs):
  --mode fast|full    fast: Path 1, flip HAProxy back to a color still running
                      full: Path 2, re-deploy an older SHA into the idle color
  --target-color C    fast only: the color to flip to (default: the prior color)
  --release-sha SHA   full only, required: the 40-hex SHA to roll back TO
  --via native|pipeline
                      full only: deploy natively (default), or dispatch rollback.yml`;

function makeCommand(name: "rollback" | "plan"): Command {
  const running = name === "rollback";
  return {
    name,
    summary: running
      ? "roll back: --mode fast (Path 1) or --mode full (Path 2); --dry-run shows the plan"
      : "dry run: the plan a rollback would run (rendered, or JSON with --json)",
    positionals: 0,
    options: running ? rollbackOptions : planOptions,
    help: `Usage: %prog ${name} --mode fast|full [options]

${running ? "Runs the rollback the workflow inputs ask for: checks first (nothing changes when one\nfails), then the changes, then the verifications; a failed verification reverts.\nProgress shows each step and the elapsed time." : "Plans the rollback the workflow inputs ask for and prints it — every step with the exact\ncommands it would make. Reads the target; changes nothing."}

${MODES_HELP}
${running ? "  --dry-run           print the plan and stop (same as `%prog plan`)\n" : ""}
${RUN_HELP}

${GLOBAL_HELP}

Examples:
  %prog ${name} --mode fast --reason "green 500s"${running ? "" : " --json"}
  %prog ${name} --mode fast --target-color blue --actor alice --reason "green 500s"
  %prog ${name} --mode full --release-sha 0123456789abcdef0123456789abcdef01234567 --reason "back to Monday's release"

${EXIT_CODES_HELP}`,
    async run(raw, out, session) {
      const args = validateOrFail(out, name, schema, raw.values);
      if (!args) return EXIT.usage;
      const dryRun = !running || args["dry-run"];
      const planned = await planOnTarget(out, session, args, dryRun, (target, who) =>
        rollbackPlan(target, args, who),
      );
      if (typeof planned === "number") return planned;
      if (dryRun) return showPlan(planned.plan, out);
      return runPlanned(out, planned, args);
    },
  };
}

/** `%prog rollback`: runs Path 1 or Path 2 from the workflow inputs. */
export const rollbackCommand = makeCommand("rollback");

/** `%prog plan`: the dry run of the same. */
export const planCommand = makeCommand("plan");
