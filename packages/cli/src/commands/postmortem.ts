import { type JournalRecord, loadRun, type RunReport, runIdSchema, TERMINAL_STATES } from "@backflip/core";
import { postIncident } from "@backflip/core/recipes";
import { cliPathSchema, globalSchema, optional, reasonSchema } from "../cli-args";
import { type Command, GLOBAL_HELP, type Session } from "../command";
import { EXIT, EXIT_CODES_HELP, exitForDriverError, exitForRunError } from "../exit-codes";
import { fail, failDriver, type Output, printLines } from "../output";
import type { Target } from "../target";
import { refuseOtherEnv, startRunCommand } from "./run-command-start";
import { described } from "./table";

const schema = globalSchema.extend({
  "<run-id>": runIdSchema,
  trigger: optional(reasonSchema),
  "why-failed": optional(reasonSchema),
  file: optional(cliPathSchema),
});

/** A traffic switch's state as a check or change step reports it: the live color and the release it serves. */
export interface LiveState {
  readonly color: string;
  readonly sha?: string;
}

/** The live color and release a step's output names (`{ activeColor, history }`, `{ activeColor, historyHead }`), if any. */
function liveStateOf(output: unknown): LiveState | undefined {
  if (typeof output !== "object" || output === null) return undefined;
  const o = output as { activeColor?: unknown; history?: unknown; historyHead?: unknown };
  if (typeof o.activeColor !== "string") return undefined;
  const head = (Array.isArray(o.history) ? o.history[0] : o.historyHead) as {
    color?: unknown;
    sha?: unknown;
  };
  const sha = head?.color === o.activeColor && typeof head.sha === "string" ? head.sha : undefined;
  return { color: o.activeColor, ...(sha ? { sha } : {}) };
}

/**
 * What a run changed: the live color and release before it, and after it — `unchanged`
 * when nothing is left changed, `unknown` when a person must look, absent when the run
 * moved no color or release (a database step, a cleanup).
 */
export interface RunChange {
  readonly before?: LiveState;
  readonly after?: LiveState | "unchanged" | "unknown";
}

/**
 * What a run changed, from its steps' outputs: the first state a step read is "before";
 * "after" is the last one a succeeded run reported (else its intent's color and SHA),
 * `unchanged` when the run undid or never made its changes, `unknown` otherwise.
 */
export function runChange(report: RunReport): RunChange {
  const states = report.steps
    .filter((s) => s.outcome === "succeeded")
    .map((s) => liveStateOf(s.output))
    .filter((s): s is LiveState => s !== undefined);
  const before = states[0];
  const { to, sha } = report.intent;
  const planned: LiveState | undefined = to ? { color: to, ...(sha ? { sha } : {}) } : undefined;
  const after =
    report.state === "succeeded"
      ? ((states.length > 1 ? states.at(-1) : undefined) ?? planned)
      : report.state === "refused" || report.state === "reverted" || report.state === "aborted"
        ? "unchanged"
        : "unknown";
  return { ...(before ? { before } : {}), ...(after ? { after } : {}) };
}

const stateText = (s: LiveState | undefined) =>
  s ? `${s.color}${s.sha ? ` (${s.sha.slice(0, 12)})` : ""}` : "?";

/** One line for a person: `green (8f8b1395b690) → blue (98795271894d)`. */
export function changeLine({ before, after }: RunChange): string {
  if (after === "unchanged") return `nothing left changed${before ? ` (live: ${stateText(before)})` : ""}`;
  if (after === "unknown") return `${stateText(before)} → unknown: check with status`;
  if (!after) return "no color or release moved (the steps say what ran)";
  return `${stateText(before)} → ${stateText(after)}`;
}

/** The entry with a "What changed" section before its follow-ups (at its end when it has none). */
function withChange(markdown: string, line: string): string {
  const section = `### What changed\n\n${line}\n\n`;
  const at = markdown.indexOf("### Follow-ups");
  return (
    at < 0 ? `${markdown.trimEnd()}\n\n${section}` : markdown.slice(0, at) + section + markdown.slice(at)
  ).trimEnd();
}

/** The target the run acted on, for its leftovers and the alert — or, when it cannot be opened, why not (the record is made without them). */
async function targetOrWhy(
  session: Session,
  args: Parameters<Session["open"]>[0],
  out: Output,
): Promise<Target | string> {
  const why: string[] = [];
  const quiet: Output = { ...out, problem: (line) => why.push(line), object: () => undefined };
  const target = await session.open(args, quiet);
  return typeof target === "number" ? why.join("; ") : target;
}

/** `%prog postmortem <run-id>`: the runbook's post-incident record of a run, from the journal. */
export const postmortemCommand: Command = {
  ...described("postmortem"),
  positionals: 1,
  options: { trigger: { type: "string" }, "why-failed": { type: "string" }, file: { type: "string" } },
  help: `Usage: %prog postmortem <run-id> [options]

The runbook's "Post-incident" step for one run, from the coordination store's journal
(\`%prog runs\` lists the ids): what happened and why it was run (the run's reason), who
ran it and when, each step with its outcome and duration, every command run, what
changed (the live color and release before → after), and what is left to do by the
runbook's post-incident list — the fix PR with CI, cleanup of the failed color (its
leftover containers are listed when the target can be read), the alert VezaDeployFailed
cleared. Markdown on stdout (--json: one object); --file appends it to the postmortems
file, atomically. Changes nothing else; works from any machine that sees the store.

Options:
  --trigger TEXT      what triggered the rollback (default: the run's reason)
  --why-failed TEXT   why the deploy failed, once known
  --file F            also append the entry to F (e.g. docs/POSTMORTEMS.md), atomically

${GLOBAL_HELP}

Examples:
  %prog postmortem 20261126T053300Z-3fa9c1
  %prog postmortem 20261126T053300Z-3fa9c1 --why-failed "nil map in the new handler" --file docs/POSTMORTEMS.md
  %prog postmortem 20261126T053300Z-3fa9c1 --coordination incus --json | jq .change

${EXIT_CODES_HELP}`,
  async run(raw, out, session) {
    const started = await startRunCommand("postmortem", schema, raw, out, session);
    if (typeof started === "number") return started;
    const { args, store } = started;
    const runId = args["<run-id>"];
    const loaded = await loadRun(store.journal, runId);
    if (loaded.isErr())
      return fail(out, exitForRunError(loaded.error.kind), {
        message:
          loaded.error.kind === "not_found"
            ? `no run ${runId} in the journal (${store.description})`
            : loaded.error.message,
        hint: `list the runs: ${out.program.name} runs${store.kind === "file" ? "" : ` --coordination ${store.kind}`}`,
        reason: loaded.error.kind,
      });
    const report = loaded.value;
    const records = await store.journal.read(runId);
    if (records.isErr()) return failDriver(out, exitForDriverError(records.error), records.error);
    const otherEnv = refuseOtherEnv(out, runId, args.env, report.intent.env);
    if (otherEnv !== undefined) return otherEnv;
    const target = await targetOrWhy(session, { ...args, env: report.intent.env }, out);
    const drivers = typeof target === "string" ? undefined : target;
    const entry = await postIncident({
      events: records.value.map((r: JournalRecord) => r.event),
      ...(args.trigger ? { trigger: args.trigger } : {}),
      ...(args["why-failed"] ? { whyFailed: args["why-failed"] } : {}),
      ...(drivers
        ? { host: drivers.drivers.host, topology: drivers.topology, alerts: drivers.drivers.alerts }
        : {}),
      ...(args.file ? { path: args.file } : {}),
    });
    if (entry.isErr()) return failDriver(out, exitForDriverError(entry.error), entry.error);

    const change = runChange(report);
    const finished = TERMINAL_STATES.includes(report.state);
    if (!finished)
      out.problem(
        `warning: run ${runId} is unfinished (${report.state}): this record is provisional — resume or revert it (${out.program.name} resume ${runId})`,
      );
    if (typeof target === "string")
      out.problem(
        `warning: leftover containers and the alert not checked: the target could not be opened (${target})`,
      );
    printLines(out.text, withChange(entry.value.markdown, changeLine(change)));
    if (entry.value.path) out.problem(`appended to ${entry.value.path}`);
    else
      out.problem(
        `next: keep it with the postmortems: ${out.program.name} postmortem ${runId} --file docs/POSTMORTEMS.md`,
      );
    out.object({
      type: "postmortem",
      runId,
      env: report.intent.env,
      path: report.intent.path,
      state: report.state,
      finished,
      actor: report.intent.actor,
      reason: report.intent.reason,
      owner: report.owner,
      startedAt: report.startedAt,
      durationMs: report.durationMs,
      steps: report.steps.map((s) => ({
        id: s.id,
        title: s.title,
        kind: s.kind,
        outcome: s.outcome,
        ...(s.durationMs === undefined ? {} : { durationMs: s.durationMs }),
        ...(s.error ? { error: s.error.message } : {}),
      })),
      ...(report.error ? { error: { stepId: report.error.stepId, message: report.error.message } } : {}),
      change,
      alert: entry.value.alert,
      leftovers: entry.value.leftovers.map((c) => ({ name: c.name, status: c.status })),
      ...(entry.value.path ? { file: entry.value.path } : {}),
      markdown: entry.value.markdown,
    });
    return EXIT.ok;
  },
};
