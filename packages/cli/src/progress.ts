import type { RollbackPlan, RunError, RunEvent, RunReport } from "@backflip/core";
import type { Decision, Facts } from "@backflip/core/recipes";
import type { Result } from "neverthrow";

/** Where the examples write their lines (stdout by default; tests capture them). */
export type Out = (line: string) => void;

const secs = (ms: number) => `${(ms / 1000).toFixed(2)}s`.padStart(7);

/** Prints a plan: every step with the exact commands it would make, under `title` (a dry run's by default). */
export function printPlan(plan: RollbackPlan, out: Out, title = "dry run"): void {
  out(`── ${title} ${"─".repeat(Math.max(3, 52 - title.length))}`);
  for (const line of plan.render().split("\n")) out(line);
  const warnings = (plan.intent.params?.warnings ?? []) as { message?: string }[];
  for (const w of warnings) if (w.message) out(`  ⚠ ${w.message}`);
  out("────────────────────────────────────────────────────────");
}

/** Live progress: one line per step event, with the run's elapsed time. */
export function progressPrinter(out: Out): (event: RunEvent) => void {
  const titles = new Map<string, string>();
  return (event) => {
    const at = `[${secs(event.elapsedMs)}]`;
    switch (event.type) {
      case "plan.started":
        for (const s of event.steps) titles.set(s.id, s.title);
        out(`${at} run ${event.runId} started by ${event.owner}`);
        break;
      case "plan.transition":
        out(`${at} ${event.from} → ${event.to}${event.note ? ` (${event.note})` : ""}`);
        break;
      case "step.started":
        out(`${at}   ▶ ${titles.get(event.stepId) ?? event.stepId}${event.resumed ? " (resumed)" : ""}`);
        break;
      case "step.log":
        out(`${at}     · ${event.message}`);
        break;
      case "step.succeeded":
        out(`${at}   ✓ ${titles.get(event.stepId) ?? event.stepId} (${event.durationMs} ms)`);
        break;
      case "step.failed":
        out(`${at}   ✗ ${titles.get(event.stepId) ?? event.stepId}: ${event.error.message}`);
        if (event.error.hint) out(`${at}     next: ${event.error.hint}`);
        break;
      case "step.undo.started":
        out(`${at}   ↺ undoing ${titles.get(event.stepId) ?? event.stepId}`);
        break;
      case "step.undone":
        out(`${at}   ↺ undone ${titles.get(event.stepId) ?? event.stepId} (${event.durationMs} ms)`);
        break;
      case "step.undo_failed":
        out(`${at}   ‼ undo failed for ${titles.get(event.stepId) ?? event.stepId}: ${event.error.message}`);
        break;
      case "plan.finished":
        out(`${at} finished: ${event.state} in ${event.durationMs} ms`);
        break;
    }
  };
}

/** Prints how a run ended: the report's steps, or the error with the runbook's next move. Returns true on success. */
export function printOutcome(result: Result<RunReport, RunError>, out: Out): boolean {
  out("── report ──────────────────────────────────────────────");
  const report = result.isOk() ? result.value : result.error.report;
  if (report) {
    out(
      `run ${report.runId}: ${report.intent.path} on ${report.intent.env} → ${report.state} (${report.durationMs} ms)`,
    );
    for (const s of report.steps)
      out(`  ${s.outcome.padEnd(10)} ${s.title}${s.durationMs === undefined ? "" : ` (${s.durationMs} ms)`}`);
  }
  if (result.isErr()) {
    out(`NOT done (${result.error.kind}): ${result.error.message}`);
    if (result.error.hint) out(`next: ${result.error.hint}`);
    return false;
  }
  out(`The run succeeded.`);
  return true;
}

const short = (sha: string | null | undefined) => (sha ? sha.slice(0, 12) : "-");

/** Prints observed facts: active color, public health, history, containers per color, artifacts, migration state. */
export function printFacts(facts: Facts, out: Out, options: { retention?: number } = {}): void {
  const pub = facts.publicHealth;
  const health = !pub
    ? ""
    : pub.healthy
      ? `ok${pub.status ? ` (${pub.status})` : ""}`
      : `FAILING${pub.status ? ` (${pub.status})` : ""}${pub.message ? `: ${pub.message}` : ""}`;
  out(`env ${facts.env} — active color ${facts.activeColor} (release ${short(facts.liveSha)})`);
  out(pub ? `public health ${pub.url}: ${health}` : "public health: no publicHealthUrl in the topology");
  out(`prior color ${facts.priorColor ?? "-"} (release ${short(facts.priorSha)})`);
  out("history (newest first):");
  for (const h of facts.history)
    out(
      `  ${h.at}  ${h.color.padEnd(6)} ${short(h.sha)}${h.actor ? `  by ${h.actor}` : ""}${h.runId ? `  run ${h.runId}` : ""}`,
    );
  out("containers:");
  for (const color of Object.values(facts.colors)) {
    const summary = color.allRunning ? "all RUNNING" : color.anyMissing ? "some MISSING" : "not all running";
    out(`  ${color.color}${color.color === facts.activeColor ? " (active)" : ""}: ${summary}`);
    for (const c of color.containers)
      out(`    ${c.name.padEnd(28)} ${c.status.padEnd(8)} release ${short(c.release)}`);
  }
  if (facts.artifacts) {
    out(
      `artifacts per history SHA${options.retention ? ` (registry keeps the newest ${options.retention} per component)` : ""}:`,
    );
    for (const [sha, components] of Object.entries(facts.artifacts)) {
      const missing = Object.entries(components)
        .filter(([, present]) => !present)
        .map(([c]) => c);
      out(`  ${short(sha)}  ${missing.length ? `MISSING ${missing.join(", ")}` : "all components present"}`);
    }
  }
  if (facts.migration)
    out(
      `migrations: ${facts.migration.managed ? `version ${facts.migration.version ?? "none"}${facts.migration.dirty ? " DIRTY" : ", clean"}` : "not managed (no schema_migrations)"}`,
    );
}

/** Prints a decision: act or not, which path and recipe, why, the runbook's words, the caveats. */
export function printDecision(decision: Decision, out: Out): void {
  const what =
    decision.action === "rollback"
      ? `rollback — Path ${decision.path} (${decision.recipe})${decision.target?.color ? ` to ${decision.target.color}` : ""}${decision.target?.sha ? ` at ${short(decision.target.sha)}` : ""}`
      : decision.action;
  out(`decision: ${what}`);
  out(`  why: ${decision.reason}`);
  out(`  runbook: "${decision.runbook}"`);
  for (const w of decision.warnings) out(`  ⚠ ${w}`);
}
