import { mkdir, readFile } from "node:fs/promises";
import { dirname } from "node:path";
import { errAsync, okAsync, ResultAsync } from "neverthrow";
import * as z from "zod";
import type { DriverError } from "../errors/driver-error";
import { writeFileAtomic } from "../fs/write-file-atomic";
import { type DeployAlertStatus, deployAlertStatus } from "../metrics/deploy-alert-status";
import type { PlanIntent, RecipePath } from "../plan/plan-intent";
import type { AlertSource } from "../ports/alert-source";
import type { ContainerHost, InstanceInfo } from "../ports/container-host";
import type { RunEvent } from "../runner/run-event";
import type { RunState } from "../runner/run-state";
import { colorContainers, type Topology } from "../topology/topology";
import { lazySchema } from "../validate/lazy-schema";
import { parseInput } from "../validate/parse-input";
import { localPathSchema } from "../validate/schemas";
import { timerMsSchema } from "../validate/timer-ms-schema";
import type { Decision } from "./decide";
import { markdownBlock, markdownCode, markdownText as md } from "./markdown-text";
import { POSTMORTEM_TEMPLATE } from "./postmortem-template";
import { RECIPE_DRIVER, recipeError } from "./recipe-input";

/** What {@link postIncident} needs: the run's events (from `onEvent` or the journal) and what only people know. */
export interface PostIncidentInput {
  /** Every event of the run, in order (from `onEvent`, or the journal's records' `event`). */
  readonly events: readonly RunEvent[];
  /** What triggered the rollback (default: the plan's reason). */
  readonly trigger?: string;
  /** Why the deploy failed, when known. */
  readonly whyFailed?: string;
  /** The decision that picked the path, when {@link decide} was used. */
  readonly decision?: Decision;
  /** The alert source, to check `VezaDeployFailed` cleared. */
  readonly alerts?: AlertSource;
  /** Wait up to this many milliseconds for the alert to clear (default 0: ask once). */
  readonly alertWaitMs?: number;
  /** With `topology`: lists the failed color's leftover containers and the cleanup command. */
  readonly host?: ContainerHost;
  readonly topology?: Topology;
  /** Append the entry to this file (created if missing), atomically: temp file + rename. One printable line (the shared `localPathSchema`). */
  readonly path?: string;
}

/** The postmortem entry. */
export interface PostIncidentEntry {
  /** The entry as markdown. */
  readonly markdown: string;
  /** The file it was appended to, when a path was given. */
  readonly path?: string;
  /** Whether `VezaDeployFailed` cleared; `unknown` (with the reason) when no source could answer. */
  readonly alert: DeployAlertStatus;
  /** The failed color's containers still present (Path 1 keeps them for forensics); empty when none or not asked. */
  readonly leftovers: readonly InstanceInfo[];
}

const PATH_LABELS: Record<RecipePath, string> = {
  "fast-flip": "Path 1 — HAProxy fast-flip",
  redeploy: "Path 2 — Re-deploy older SHA (native)",
  "redeploy-pipeline": "Path 2 — Re-deploy older SHA (rollback.yml mode=full)",
  "rebuild-push": "Path 3 — Manual emergency: tarball rebuilt and pushed",
  "inverse-sql": "Path 3 — Manual emergency: inverse SQL",
  "restore-snapshot": "Path 3 — Manual emergency: ZFS snapshot rollback",
  cleanup: "Cleanup of a failed color",
  custom: "Custom plan",
};

const OUTCOME: Record<RunState, string> = {
  planned: "not started",
  locked: "interrupted (locked)",
  checking: "interrupted while checking",
  changing: "interrupted while changing: resume it",
  verifying: "interrupted while verifying: resume it",
  succeeded: "succeeded",
  refused: "refused by a pre-check: nothing changed",
  reverting: "interrupted while reverting: resume it",
  reverted: "failed and reverted: every completed change was undone",
  revert_failed: "REVERT FAILED: act by hand",
  aborted: "aborted: completed changes were undone",
};

/** The inputs {@link postIncident} checks before it reads or writes anything (`alertWaitMs` 0 asks once). */
const postIncidentSchema = lazySchema(() =>
  z.object({
    path: localPathSchema.optional(),
    alertWaitMs: z
      .union([z.literal(0), timerMsSchema], {
        error: "expected 0 (ask once) or a whole number of milliseconds a timer can honour",
      })
      .optional(),
  }),
);
const ms = (n: number | undefined) =>
  n === undefined ? "—" : n < 1000 ? `${n} ms` : `${(n / 1000).toFixed(1)} s`;

const failure = (op: string, reason: DriverError["reason"], message: string, cause?: unknown) =>
  recipeError(op, reason, message, cause === undefined ? {} : { cause });

/** Appends `text` to `path` atomically: the whole new file goes to a temp file in the same directory, then a rename. */
function appendAtomically(path: string, text: string): ResultAsync<void, DriverError> {
  const before = ResultAsync.fromPromise(
    mkdir(dirname(path), { recursive: true }).then(() =>
      readFile(path, "utf8").catch((e: NodeJS.ErrnoException) => {
        if (e.code === "ENOENT") return "";
        throw e;
      }),
    ),
    (cause) => failure("postIncident", "failed", `cannot read ${path}: ${(cause as Error).message}`, cause),
  );
  return before.andThen((old) =>
    writeFileAtomic(path, old ? `${old.replace(/\n*$/, "\n")}\n${text}` : text, RECIPE_DRIVER),
  );
}

/** The failed color: the one traffic moved away from. */
function failedColor(intent: PlanIntent): string | undefined {
  return intent.path === "cleanup" ? undefined : intent.from;
}

function listLeftovers(
  input: PostIncidentInput,
  intent: PlanIntent,
): ResultAsync<InstanceInfo[] | string, never> {
  const color = failedColor(intent);
  if (!input.host || !input.topology || !color) return okAsync([]);
  return input.host
    .list({ names: colorContainers(input.topology, color) })
    .orElse((e) => okAsync<InstanceInfo[] | string, never>(`could not list them: ${e.message}`));
}

type PlanStarted = Extract<RunEvent, { type: "plan.started" }>;

function viewModel(
  input: PostIncidentInput,
  started: PlanStarted,
  alert: DeployAlertStatus,
  leftovers: InstanceInfo[] | string,
) {
  const intent: PlanIntent = started.intent;
  const finished = input.events.findLast(
    (e): e is Extract<RunEvent, { type: "plan.finished" }> => e.type === "plan.finished",
  );
  const state: RunState =
    finished?.state ??
    input.events.findLast(
      (e): e is Extract<RunEvent, { type: "plan.transition" }> => e.type === "plan.transition",
    )?.to ??
    "planned";
  const outcomes = new Map<string, { outcome: string; durationMs?: number }>();
  const ran = new Set<string>();
  const undone = new Set<string>();
  const logs: string[] = [];
  for (const e of input.events) {
    if (e.type === "step.started") {
      ran.add(e.stepId);
      outcomes.set(e.stepId, { outcome: "interrupted" });
    } else if (e.type === "step.succeeded")
      outcomes.set(e.stepId, { outcome: "succeeded", durationMs: e.durationMs });
    else if (e.type === "step.failed")
      outcomes.set(e.stepId, { outcome: `failed: ${e.error.message}`, durationMs: e.durationMs });
    else if (e.type === "step.undone") {
      undone.add(e.stepId);
      outcomes.set(e.stepId, { outcome: "undone", durationMs: outcomes.get(e.stepId)?.durationMs });
    } else if (e.type === "step.undo_failed") {
      undone.add(e.stepId);
      outcomes.set(e.stepId, { outcome: `UNDO FAILED: ${e.error.message}` });
    } else if (e.type === "step.log") logs.push(md(`${e.stepId}: ${e.message}`));
  }
  const label = PATH_LABELS[intent.path] ?? `Recipe ${intent.path}`;
  const steps = started.steps.map((s, i) => ({
    index: i + 1,
    title: md(s.title),
    kind: md(s.kind),
    outcome: md(outcomes.get(s.id)?.outcome ?? "not run"),
    duration: ms(outcomes.get(s.id)?.durationMs),
  }));
  const commands = started.steps.flatMap((s) =>
    ran.has(s.id) ? [...s.actions, ...(undone.has(s.id) ? [`# then undone: ${s.title}`] : [])] : [],
  );
  const error = finished?.error;
  const move = intent.from || intent.to ? md(`${intent.from ?? "?"} → ${intent.to ?? "?"}`) : "";
  const date = started.at.slice(0, 10);
  const whatHappened = [
    `${md(`${label} on ${intent.env}`)}${move ? ` (${move})` : ""}${intent.sha ? ` to ${markdownCode(intent.sha.slice(0, 12))}` : ""}: ${OUTCOME[state]}.`,
    error
      ? `It stopped at ${markdownCode(error.stepId)}: ${md(error.message)}${error.hint ? ` (next: ${md(error.hint)})` : ""}.`
      : "",
  ]
    .filter(Boolean)
    .join(" ");
  const followUps = [
    "File the fix as a normal PR; do NOT skip CI.",
    ...(intent.path === "fast-flip" && intent.from && state === "succeeded"
      ? [
          `Once forensics are done (\`incus exec <container> -- journalctl -u veza-<component> -n 200\`), run the Veza cleanup workflow with color=${md(intent.from)} (cleanupColor).`,
        ]
      : []),
    ...(typeof leftovers === "string"
      ? [`Leftover containers of ${md(failedColor(intent) ?? "")}: ${md(leftovers)}.`]
      : leftovers.length > 0
        ? [
            `Leftover containers of ${md(failedColor(intent) ?? "")}: ${md(leftovers.map((c) => `${c.name} (${c.status})`).join(", "))} — clean up with the Veza cleanup workflow (color=${md(failedColor(intent) ?? "")}) or \`cleanupColor\`.`,
          ]
        : []),
    ...(intent.path === "rebuild-push" || intent.path === "inverse-sql"
      ? ["Then run Path 2 (redeploy)."]
      : []),
    alert.state === "unknown"
      ? `Verify the alert VezaDeployFailed cleared (next successful deploy resets last_success_timestamp > last_failure_timestamp); not checked: ${md(alert.reason)}.`
      : alert.state === "firing"
        ? "The alert VezaDeployFailed still fires: it clears after the next successful deploy."
        : "The alert VezaDeployFailed has cleared.",
  ];
  const params = intent.params as { warnings?: { message?: unknown }[] } | undefined;
  const warnings = (params?.warnings ?? [])
    .map((w) => (typeof w?.message === "string" ? w.message : ""))
    .filter(Boolean)
    .concat(input.decision?.warnings ?? [])
    .map(md);
  return {
    title: md(`${date} — ${intent.env}: ${label}, ${state}`),
    startedAt: md(started.at),
    env: md(intent.env),
    outcome: OUTCOME[state],
    pathLabel: md(label),
    runId: markdownCode(started.runId),
    owner: md(started.owner),
    actor: md(intent.actor),
    move,
    sha: intent.sha ? markdownCode(intent.sha) : "",
    whatHappened,
    whyFailed: md(input.whyFailed ?? "Not recorded yet: add the root cause once it is understood."),
    trigger: md(input.trigger ?? intent.reason),
    decision: input.decision ? md(`${input.decision.reason} — runbook: "${input.decision.runbook}"`) : "",
    warnings,
    steps,
    total: ms(finished?.durationMs ?? input.events.at(-1)?.elapsedMs),
    commands: commands.length > 0 ? markdownBlock(commands) : "",
    logs,
    followUps,
  };
}

/**
 * The runbook's post-incident step: renders a postmortem entry (handlebars, strict) from
 * the run's events — what happened, why the deploy failed, what triggered the rollback,
 * the path, per-step timings, every command run, the run's log — and the follow-ups
 * (fix PR with CI, cleanup of the failed color, `VezaDeployFailed` cleared, asked of the
 * alert source when given). With `path`, appends it to that file atomically
 * (e.g. `docs/POSTMORTEMS.md`).
 */
export function postIncident(input: PostIncidentInput): ResultAsync<PostIncidentEntry, DriverError> {
  const checked = parseInput(
    postIncidentSchema,
    { path: input.path, alertWaitMs: input.alertWaitMs },
    { driver: RECIPE_DRIVER, op: "postIncident" },
  );
  if (checked.isErr()) return errAsync(checked.error);
  const started = input.events.find((e): e is PlanStarted => e.type === "plan.started");
  if (!started)
    return errAsync(
      failure(
        "postIncident",
        "invalid_input",
        "the events hold no plan.started: pass every event of the run",
      ),
    );
  const facts = ResultAsync.combine([
    deployAlertStatus(input.alerts, started.intent.env, { waitMs: input.alertWaitMs ?? 0 }),
    listLeftovers(input, started.intent),
  ]);
  return facts.andThen(([alert, leftovers]) =>
    ResultAsync.fromPromise(import("handlebars"), (cause) =>
      failure("postIncident", "unavailable", "cannot load handlebars", cause),
    ).andThen((mod) => {
      const model = viewModel(input, started, alert, leftovers);
      let markdown: string;
      try {
        const handlebars = (mod.default ?? mod).create();
        markdown = handlebars.compile(POSTMORTEM_TEMPLATE, { strict: true, noEscape: true })(model);
      } catch (cause) {
        return errAsync(
          failure(
            "postIncident",
            "failed",
            `the postmortem template failed: ${(cause as Error)?.message ?? String(cause)}`,
            cause,
          ),
        );
      }
      const entry: PostIncidentEntry = {
        markdown,
        alert,
        leftovers: typeof leftovers === "string" ? [] : leftovers,
        ...(input.path ? { path: input.path } : {}),
      };
      return input.path ? appendAtomically(input.path, markdown).map(() => entry) : okAsync(entry);
    }),
  );
}
