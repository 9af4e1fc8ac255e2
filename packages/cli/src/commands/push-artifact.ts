import { resolve } from "node:path";
import { shaSchema } from "@backflip/core/driver-kit";
import { rebuildAndPush, requireDrivers } from "@backflip/core/recipes";
import * as z from "zod";
import { globalSchema, RUN_OPTIONS, runSchema } from "../cli-args";
import { type Command, GLOBAL_HELP, planOnTarget, RUN_HELP, runPlanned, validateOrFail } from "../command";
import { showPlan } from "../execute-plan";
import { EXIT, EXIT_CODES_HELP } from "../exit-codes";
import { described } from "./table";

const artifactSchema = z
  .string()
  .regex(/^[a-z][a-z0-9-]*=.+$/, "expected COMPONENT=PATH, e.g. backend=/tmp/veza-backend-<sha>.tar.zst")
  .transform((text) => {
    const at = text.indexOf("=");
    return { component: text.slice(0, at), path: resolve(text.slice(at + 1)) };
  });

const schema = globalSchema.extend(runSchema.shape).extend({
  "release-sha": shaSchema,
  artifact: z.array(artifactSchema).min(1, "give at least one --artifact COMPONENT=PATH"),
  "dry-run": z.boolean().default(false),
});

/** `rollback push-artifact`: Path 3 — push tarballs you rebuilt into the registry, then run Path 2. */
export const pushArtifactCommand: Command = {
  ...described("push-artifact"),
  positionals: 0,
  options: {
    ...RUN_OPTIONS,
    "release-sha": { type: "string" },
    artifact: { type: "string", multiple: true },
    "dry-run": { type: "boolean" },
  },
  help: `Usage: %prog push-artifact --release-sha SHA --artifact COMPONENT=PATH... [options]

Path 3, "Forgejo registry has been purged of the SHA you need": you rebuilt the
tarballs (go build … && tar --use-compress-program=zstd -cf /tmp/veza-<component>-<sha>.tar.zst …);
this checks each file (size, sha256), uploads it, and verifies the registry has it.
Every component the registry is missing must be given. Then run \`%prog rollback --mode full\`.

Options:
  --release-sha SHA              the 40-hex SHA the tarballs were built from (required)
  --artifact COMPONENT=PATH      one per component, repeatable
  --dry-run                      print the plan and stop

${RUN_HELP}

${GLOBAL_HELP}

Examples:
  %prog push-artifact --release-sha 0123456789abcdef0123456789abcdef01234567 \\
    --artifact backend=/tmp/veza-backend-0123456789abcdef0123456789abcdef01234567.tar.zst --reason "registry purged"

${EXIT_CODES_HELP}`,
  async run(raw, out, session) {
    const args = validateOrFail(out, "push-artifact", schema, raw.values);
    if (!args) return EXIT.usage;
    const planned = await planOnTarget(
      out,
      session,
      args,
      args["dry-run"],
      (target, who) =>
        requireDrivers(target.drivers, ["registry"], "rebuildAndPush").asyncAndThen((drivers) =>
          rebuildAndPush(target.topology, drivers, {
            ...who,
            sha: args["release-sha"],
            artifacts: args.artifact,
          }),
        ),
      { sha: "--release-sha", artifacts: "--artifact" },
    );
    if (typeof planned === "number") return planned;
    if (args["dry-run"]) return showPlan(planned.plan, out);
    return runPlanned(out, planned, args);
  },
};
