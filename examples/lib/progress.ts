import type { RollbackPlan, RunError, RunEvent, RunReport } from "@backflip/core";
import type { Result } from "neverthrow";

/** Where the examples write their lines (stdout by default; tests capture them). */
export type Out = (line: string) => void;

const secs = (ms: number) => `${(ms / 1000).toFixed(2)}s`.padStart(7);

/** Prints a plan's dry run: every step with the exact commands it would make. */
export function printPlan(plan: RollbackPlan, out: Out): void {
  out("── dry run ─────────────────────────────────────────────");
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
