import type { Topology } from "@backflip/core";
import { shaSchema } from "@backflip/core/driver-kit";
import {
  type DecideContext,
  type Decision,
  decide,
  type Facts,
  observe,
  SYMPTOMS,
} from "@backflip/core/recipes";
import * as z from "zod";
import { globalSchema, optional } from "../cli-args";
import { type Command, GLOBAL_HELP, validateOrFail } from "../command";
import { EXIT, EXIT_CODES_HELP, exitForDriverError } from "../exit-codes";
import { failDriver } from "../output";
import { printDecision, printFacts } from "../progress";
import { described } from "./table";

const schema = globalSchema.extend({
  symptom: z.enum(SYMPTOMS, { error: `expected one of ${SYMPTOMS.join(", ")}` }),
  "on-call": z.boolean().default(false),
  paged: z.boolean().default(false),
  "new-color-came-up": optional(z.enum(["yes", "no"], { error: "expected yes or no" })),
  "bad-sha": optional(shaSchema),
  "target-sha": optional(shaSchema),
  "schema-poisoned": z.boolean().default(false),
  "host-broken": z.boolean().default(false),
});

/** The command line that carries out a decision, or `null` when there is nothing to run. */
export function suggestedCommand(
  decision: Decision,
  facts: Facts,
  topology: Topology,
  prog: string,
): string | null {
  if (decision.action !== "rollback") return null;
  const env = `--env ${facts.env}`;
  const sha = decision.target?.sha ?? "<sha>";
  switch (decision.recipe) {
    case "fast-flip":
      return `${prog} rollback ${env} --mode fast --target-color ${decision.target?.color ?? "<color>"} --reason "<why>"`;
    case "redeploy":
      return `${prog} rollback ${env} --mode full --release-sha ${sha} --reason "<why>"`;
    case "rebuild-push":
      return `${prog} push-artifact ${env} --release-sha ${sha} ${topology.containers.components.map((c) => `--artifact ${c}=/tmp/veza-${c}-${sha}.tar.zst`).join(" ")} --reason "<why>"   # then --mode full`;
    case "inverse-sql":
      return `${prog} inverse-sql ${env} --file /tmp/inverse.sql --reason "<why>"   # then --mode full`;
    case "restore-snapshot":
      return `${prog} restore-snapshot ${env} --container ${topology.database?.container ?? "<container>"} --snapshot ${topology.snapshots?.prefix ?? ""}${decision.target?.sha ?? facts.liveSha ?? "<sha>"} --reason "<why>"`;
    default:
      return null;
  }
}

/** `rollback decide`: observe, then walk the runbook's flowchart and its "When NOT to rollback" rules. */
export const decideCommand: Command = {
  ...described("decide"),
  positionals: 0,
  options: {
    symptom: { type: "string" },
    "on-call": { type: "boolean" },
    paged: { type: "boolean" },
    "new-color-came-up": { type: "string" },
    "bad-sha": { type: "string" },
    "target-sha": { type: "string" },
    "schema-poisoned": { type: "boolean" },
    "host-broken": { type: "boolean" },
  },
  help: `Usage: %prog decide --symptom S [options]

Reads the target (changing nothing), then walks the runbook: did the new color come up;
"When NOT to rollback" (not on call, a single user's report, a performance regression,
a cosmetic bug); then Path 1, 2 or 3 — and prints the command that carries it out.

Options:
  --symptom S               ${SYMPTOMS.join(" | ")}
  --on-call                 you are on call
  --paged                   you were paged
  --new-color-came-up yes|no  did the deploy's new color come up at all (default: inferred)
  --bad-sha SHA             the SHA of the bad deploy (when it is not live: nothing to do)
  --target-sha SHA          the SHA to roll back to (default: the prior color's)
  --schema-poisoned         a destructive migration broke the schema (Path 3, inverse SQL)
  --host-broken             the Incus host is in a bad state (Path 3, snapshot restore)

${GLOBAL_HELP}

Examples:
  %prog decide --symptom public-probe-failing --on-call --paged
  %prog decide --symptom single-user-report --on-call
  %prog decide --symptom app-broken --paged --target-sha 0123456789abcdef0123456789abcdef01234567 --json

${EXIT_CODES_HELP}`,
  async run(raw, out, session) {
    const args = validateOrFail(out, "decide", schema, raw.values);
    if (!args) return EXIT.usage;
    const target = await session.open(args, out);
    if (typeof target === "number") return target;
    const facts = await observe(target.topology, target.drivers, {
      probeAttempts: 1,
      ...(args["target-sha"] ? { shas: [args["target-sha"]] } : {}),
    });
    if (facts.isErr()) return failDriver(out, exitForDriverError(facts.error), facts.error);
    const context: DecideContext = {
      symptom: args.symptom,
      onCall: args["on-call"],
      paged: args.paged,
      ...(args["new-color-came-up"] ? { newColorCameUp: args["new-color-came-up"] === "yes" } : {}),
      ...(args["bad-sha"] ? { badSha: args["bad-sha"] } : {}),
      ...(args["target-sha"] ? { targetSha: args["target-sha"] } : {}),
      ...(args["schema-poisoned"] ? { schemaPoisoned: true } : {}),
      ...(args["host-broken"] ? { hostBroken: true } : {}),
    };
    const decided = decide(facts.value, context);
    if (decided.isErr()) return failDriver(out, exitForDriverError(decided.error), decided.error);
    const decision = decided.value;
    const command = suggestedCommand(decision, facts.value, target.topology, out.program.name);
    printFacts(facts.value, out.text, { retention: target.topology.registry?.retention });
    out.text("");
    printDecision(decision, out.text);
    if (command) out.text(`  run: ${command}`);
    out.object({ type: "decision", decision, command, facts: facts.value });
    return EXIT.ok;
  },
};
