import { loadRun, resumeRun, runIdSchema } from "@backflip/core";
import { planForIntent } from "@backflip/core/recipes";
import * as z from "zod";
import { actorSchema, cliPathSchema, globalSchema, optional, secondsSchema } from "../cli-args";
import { type Command, defaultActor, GLOBAL_HELP } from "../command";
import { cliOwner, eventSink, finishRun } from "../execute-plan";
import { EXIT_CODES_HELP } from "../exit-codes";
import { refuseOtherEnv, startRunCommand } from "./run-command-start";
import { described } from "./table";

const schema = globalSchema.extend({
  "<run-id>": runIdSchema,
  revert: z.boolean().default(false),
  "break-stale-lock": z.boolean().default(false),
  "acknowledge-data-loss": z.boolean().default(false),
  actor: actorSchema.optional(),
  "metrics-file": optional(cliPathSchema),
  "lock-ttl": optional(secondsSchema),
});

/** `rollback resume <run-id>`: picks up a run that was cut short, from its journal. */
export const resumeCommand: Command = {
  ...described("resume"),
  positionals: 1,
  options: {
    revert: { type: "boolean" },
    "break-stale-lock": { type: "boolean" },
    "acknowledge-data-loss": { type: "boolean" },
    actor: { type: "string" },
    "metrics-file": { type: "string" },
    "lock-ttl": { type: "string" },
  },
  help: `Usage: %prog resume <run-id> [options]

Picks a run up from its journal (\`%prog runs\` or \`%prog status\` list the runs in
flight). Completed steps are never run again; a step cut short is reconciled against the
world (did it take effect?), re-run when that is safe, or left for a person when not. A
finished run just reports its outcome. The plan is rebuilt from the run's journaled
intent, on the environment the journal names (--env is then optional): with a shared
coordination store (--coordination incus or etcd) any operator can resume or revert a
run started on another machine, which needs no local files.

Options:
  --revert                 undo the run's completed changes instead of finishing it
  --break-stale-lock       break the lock the killed run left, once it has expired
                           (a live lock is never broken: exit 4 names its owner)
  --acknowledge-data-loss  needed again to resume a snapshot restore
  --actor NAME             who resumes it (default $BACKFLIP_ACTOR or your login)
  --metrics-file F         write the deploy metrics textfile after the run
  --lock-ttl SECONDS       the lock's time-to-live (default 60)

${GLOBAL_HELP}

Examples:
  %prog resume 20261126T053300Z-3fa9c1
  %prog resume 20261126T053300Z-3fa9c1 --break-stale-lock
  %prog resume 20261126T053300Z-3fa9c1 --revert --break-stale-lock --json
  %prog resume 20261126T053300Z-3fa9c1 --coordination incus --break-stale-lock

${EXIT_CODES_HELP}`,
  async run(raw, out, session) {
    // the run's environment comes from its journal: from any machine that sees the store
    const started = await startRunCommand("resume", schema, raw, out, session);
    if (typeof started === "number") return started;
    const { args, store } = started;
    const runId = args["<run-id>"];
    const recorded = (await loadRun(store.journal, runId)).map((r) => r.intent.env).unwrapOr(undefined);
    const otherEnv = refuseOtherEnv(out, runId, args.env, recorded);
    if (otherEnv !== undefined) return otherEnv;
    const target = await session.open({ ...args, env: args.env ?? recorded }, out);
    if (typeof target === "number") return target;
    const sink = eventSink(out);
    let finishedHere = false;
    const result = await resumeRun(runId, {
      journal: target.journal,
      lock: target.lock,
      owner: cliOwner(args.actor ?? defaultActor(), out.program),
      rebuild: (intent) => planForIntent(target.topology, target.drivers, intent),
      mode: args.revert ? "revert" : "continue",
      breakStaleLock: args["break-stale-lock"],
      onEvent: (event) => {
        if (event.type === "plan.finished") finishedHere = true;
        sink(event);
      },
      ...(args["acknowledge-data-loss"] ? { acknowledgeDataLoss: true } : {}),
      ...(args["lock-ttl"] ? { lockTtlMs: args["lock-ttl"] * 1000 } : {}),
    });
    // a run that had already finished is only reported: its metrics were written then
    return finishRun(target, result, out, finishedHere ? args["metrics-file"] : undefined);
  },
};
