import {
  defaultOwner,
  type RollbackPlan,
  type RunError,
  type RunEvent,
  type RunReport,
  runPlan,
  TERMINAL_STATES,
} from "@backflip/core";
import { DeployMetrics } from "@backflip/core/recipes";
import type { Result } from "neverthrow";
import { EXIT, type ExitCode, exitForRunError } from "./exit-codes";
import { type Output, runErrorJson } from "./output";
import type { Program } from "./program";
import { printOutcome, printPlan, progressPrinter } from "./progress";
import type { Target } from "./target";

/** How a plan is run from the command line. */
export interface ExecuteOptions {
  /** Who runs it: named in the lock's owner. */
  readonly actor: string;
  /** Where to write the deploy metrics textfile after the run. */
  readonly metricsFile?: string | undefined;
  /** The lease time-to-live in seconds (default: the runner's, 60 s). */
  readonly lockTtlS?: number | undefined;
  readonly acknowledgeDataLoss?: boolean;
}

/** The lock owner a CLI run records: the actor, the CLI, then `user@host pid N`. */
export const cliOwner = (actor: string, program: Program) =>
  `${actor} via ${program.tool} (${defaultOwner()})`;

/** Live progress for a run: one JSON line per event with `--json`, progress lines otherwise. */
export function eventSink(out: Output): (event: RunEvent) => void {
  const print = progressPrinter(out.text);
  return (event) => {
    out.object(event);
    print(event);
  };
}

/** Saves the simulated world, writes metrics, prints the outcome; returns the exit code. */
export async function finishRun(
  target: Target,
  result: Result<RunReport, RunError>,
  out: Output,
  metricsFile: string | undefined,
): Promise<ExitCode> {
  const saved = await target.save();
  if (saved.isErr()) out.problem(`warning: the simulated world was not saved: ${saved.error.message}`);
  const report = result.isOk() ? result.value : result.error.report;
  if (metricsFile && report && TERMINAL_STATES.includes(report.state)) {
    const written = await DeployMetrics.fromTextfile(metricsFile).andThen((metrics) => {
      metrics.recordRun({
        env: report.intent.env,
        path: report.intent.path,
        state: report.state,
        durationMs: report.durationMs,
        finishedAt: new Date(),
      });
      return metrics.writeTextfile(metricsFile);
    });
    if (written.isErr()) out.problem(`warning: metrics not written: ${written.error.message}`);
  }
  printOutcome(result, out.text);
  const code = result.isOk() ? EXIT.ok : exitForRunError(result.error.kind);
  if (result.isErr()) {
    out.problem(`error: ${result.error.message}`);
    if (result.error.hint) out.problem(`next: ${result.error.hint}`);
  }
  out.object({
    type: "result",
    exitCode: code,
    ...(report ? { runId: report.runId, state: report.state, report } : {}),
    ...(result.isErr() ? { error: runErrorJson(result.error) } : {}),
  });
  return code;
}

/** Prints the dry run, runs the plan with live progress, then {@link finishRun}. */
export async function executePlan(
  target: Target,
  plan: RollbackPlan,
  out: Output,
  options: ExecuteOptions,
): Promise<ExitCode> {
  printPlan(plan, out.text, "the plan, running now");
  const result = await runPlan(plan, {
    journal: target.journal,
    lock: target.lock,
    owner: cliOwner(options.actor, out.program),
    onEvent: eventSink(out),
    ...(options.lockTtlS ? { lockTtlMs: options.lockTtlS * 1000 } : {}),
    ...(options.acknowledgeDataLoss ? { acknowledgeDataLoss: true } : {}),
  });
  return finishRun(target, result, out, options.metricsFile);
}

/** Prints a plan as a dry run (rendered, or its description as one JSON object); changes nothing. */
export function showPlan(plan: RollbackPlan, out: Output): ExitCode {
  printPlan(plan, out.text);
  out.text("dry run: nothing was changed.");
  out.object({ type: "plan", plan: plan.describe() });
  return EXIT.ok;
}
