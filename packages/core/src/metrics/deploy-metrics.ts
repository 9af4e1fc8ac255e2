import { errAsync, okAsync, ResultAsync } from "neverthrow";
import { type DriverError, driverError } from "../errors/driver-error";
import { readRegularFile } from "../fs/read-regular-file";
import { replaceFileAtomically } from "../fs/write-file-atomic";
import type { RunEvent } from "../runner/run-event";
import type { RunState } from "../runner/run-state";

/** How a run's final state counts for the deploy gauges: `null` when it changed nothing (refused). */
export function deployOutcome(state: RunState): "success" | "failure" | null {
  if (state === "succeeded") return "success";
  if (state === "reverted" || state === "revert_failed" || state === "aborted") return "failure";
  return null;
}

interface RunCounter {
  count: number;
  seconds: number;
}

const METRIC = {
  success: "veza_deploy_last_success_timestamp",
  failure: "veza_deploy_last_failure_timestamp",
  runs: "backflip_rollback_runs_total",
  seconds: "backflip_rollback_duration_seconds_total",
  last: "backflip_rollback_last_duration_seconds",
} as const;

/**
 * The first line of {@link DeployMetrics.render}: how a textfile is recognised as the
 * SDK's own before it is replaced (a Prometheus comment, ignored by a scrape).
 */
const METRICS_TEXTFILE_HEADER =
  "# Backflip DeployMetrics textfile: rewritten after every rollback run, do not edit";

/** The first line an earlier version's textfile started with (no header yet). */
const EARLIER_FIRST_LINE = `# HELP ${METRIC.success} `;

/** The largest textfile read back (a history of a few runs per env and path is a few kB). */
const MAX_TEXTFILE_BYTES = 4_000_000;

/** Whether an existing file is one {@link DeployMetrics} wrote (or empty: nothing to lose). */
const isOwnTextfile = (text: string) =>
  text === "" || text.startsWith(`${METRICS_TEXTFILE_HEADER}\n`) || text.startsWith(EARLIER_FIRST_LINE);

const metricsError = (op: string, reason: DriverError["reason"], message: string, hint?: string) =>
  driverError({ driver: "metrics", op, reason, message, ...(hint ? { hint } : {}) });

/**
 * The textfile at `path` as it is now: `null` when there is none; refused when it is not
 * a regular file, too large, or not one {@link DeployMetrics} wrote — an operator's
 * config at that path is neither parsed nor replaced.
 */
function readOwnTextfile(path: string, op: string): ResultAsync<string | null, DriverError> {
  return readRegularFile(path, MAX_TEXTFILE_BYTES)
    .orElse((refused) =>
      refused.reason === "not_found"
        ? okAsync(null)
        : errAsync(
            metricsError(
              op,
              refused.reason,
              `cannot use ${path} as the metrics textfile: ${refused.message}`,
            ),
          ),
    )
    .andThen((text) =>
      text === null || isOwnTextfile(text)
        ? okAsync(text)
        : errAsync(
            metricsError(
              op,
              "conflict",
              `${path} is not a Backflip metrics textfile (its first line is not "${METRICS_TEXTFILE_HEADER}"): it was left as it is`,
              "name a new file, e.g. in node_exporter's textfile directory; the SDK creates it and only ever replaces its own",
            ),
          ),
    );
}

const escapeLabel = (value: string) =>
  value.replaceAll("\\", "\\\\").replaceAll("\n", "\\n").replaceAll('"', '\\"');
const labels = (pairs: Record<string, string>) =>
  `{${Object.entries(pairs)
    .map(([k, v]) => `${k}="${escapeLabel(v)}"`)
    .join(",")}}`;

/**
 * Deploy and rollback metrics in Prometheus text format, for node_exporter's textfile
 * collector (written atomically) or a scrape (see `serveMetrics`). Per env:
 * `veza_deploy_last_success_timestamp` and `veza_deploy_last_failure_timestamp` (seconds),
 * which the `VezaDeployFailed` rule compares; plus rollback run counters and durations
 * by env, path and final state.
 */
export class DeployMetrics {
  readonly #last = new Map<string, { success?: number; failure?: number }>();
  readonly #runs = new Map<string, RunCounter & { env: string; path: string; state: string }>();
  readonly #lastDuration = new Map<string, number>();
  readonly #started = new Map<string, { env: string; path: string }>();

  /** Records a deploy outcome for `env` at `at` (default now). */
  recordDeploy(env: string, outcome: "success" | "failure", at: Date = new Date()): void {
    const entry = this.#last.get(env) ?? {};
    entry[outcome] = at.getTime() / 1000;
    this.#last.set(env, entry);
  }

  /** Records one finished rollback run: counters, durations and (unless refused) the deploy gauges. */
  recordRun(run: { env: string; path: string; state: RunState; durationMs: number; finishedAt: Date }): void {
    const key = `${run.env}\0${run.path}\0${run.state}`;
    const counter = this.#runs.get(key) ?? {
      env: run.env,
      path: run.path,
      state: run.state,
      count: 0,
      seconds: 0,
    };
    counter.count += 1;
    counter.seconds += run.durationMs / 1000;
    this.#runs.set(key, counter);
    this.#lastDuration.set(`${run.env}\0${run.path}`, run.durationMs / 1000);
    const outcome = deployOutcome(run.state);
    if (outcome) this.recordDeploy(run.env, outcome, run.finishedAt);
  }

  /** An `onEvent` observer for `runPlan`/`resumeRun`: records the run when it finishes. */
  readonly observe = (event: RunEvent): void => {
    if (event.type === "plan.started")
      this.#started.set(event.runId, { env: event.intent.env, path: event.intent.path });
    if (event.type !== "plan.finished") return;
    const started = this.#started.get(event.runId);
    if (!started) return;
    this.#started.delete(event.runId);
    this.recordRun({
      ...started,
      state: event.state,
      durationMs: event.durationMs,
      finishedAt: new Date(event.at),
    });
  };

  /** The last success/failure timestamps (seconds) of `env`. */
  lastDeploy(env: string): { success?: number; failure?: number } {
    return { ...this.#last.get(env) };
  }

  /** The metrics in Prometheus text exposition format. */
  render(): string {
    const lines: string[] = [METRICS_TEXTFILE_HEADER];
    const gauge = (name: string, help: string) =>
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`);
    gauge(METRIC.success, "Unix time of the last successful deploy or rollback, per env.");
    for (const [env, v] of this.#last)
      if (v.success !== undefined) lines.push(`${METRIC.success}${labels({ env })} ${v.success}`);
    gauge(METRIC.failure, "Unix time of the last failed deploy or rollback, per env.");
    for (const [env, v] of this.#last)
      if (v.failure !== undefined) lines.push(`${METRIC.failure}${labels({ env })} ${v.failure}`);
    lines.push(
      `# HELP ${METRIC.runs} Rollback runs by env, path and final state.`,
      `# TYPE ${METRIC.runs} counter`,
    );
    for (const r of this.#runs.values())
      lines.push(`${METRIC.runs}${labels({ env: r.env, path: r.path, state: r.state })} ${r.count}`);
    lines.push(
      `# HELP ${METRIC.seconds} Seconds spent in rollback runs.`,
      `# TYPE ${METRIC.seconds} counter`,
    );
    for (const r of this.#runs.values())
      lines.push(`${METRIC.seconds}${labels({ env: r.env, path: r.path, state: r.state })} ${r.seconds}`);
    gauge(METRIC.last, "Duration of the last rollback run, per env and path.");
    for (const [key, seconds] of this.#lastDuration) {
      const [env = "", path = ""] = key.split("\0");
      lines.push(`${METRIC.last}${labels({ env, path })} ${seconds}`);
    }
    return `${lines.join("\n")}\n`;
  }

  /**
   * Writes {@link render} to `path` atomically: a temp file in the same directory, fsync,
   * then a hard link when `path` is new (so a file that appears meanwhile is never
   * replaced) or a rename over the SDK's own earlier textfile. Any other file at `path`
   * (a config, a directory, a device) is refused (`conflict` / `invalid_input`) and left
   * untouched. A new file is 0644 (node_exporter reads it; it holds env names, recipe
   * paths, states, counts and times, no secrets); a replaced one keeps its mode and owner.
   */
  writeTextfile(path: string): ResultAsync<void, DriverError> {
    const text = this.render();
    return readOwnTextfile(path, "writeTextfile").andThen((existing) =>
      ResultAsync.fromPromise(
        replaceFileAtomically(path, text, undefined, existing === null ? "create" : undefined),
        (cause) => {
          const code = (cause as NodeJS.ErrnoException).code;
          return driverError({
            driver: "metrics",
            op: "writeTextfile",
            reason: code === "ENOENT" ? "not_found" : code === "EEXIST" ? "conflict" : "failed",
            message:
              code === "EEXIST"
                ? `${path} appeared while the metrics were written: it was left as it is`
                : `cannot write ${path}: ${(cause as Error).message}`,
            cause,
          });
        },
      ),
    );
  }

  /**
   * Reads the deploy gauges and run counters back from a textfile written by
   * {@link writeTextfile}, so separate processes (CLI runs) keep one history.
   * A missing file gives empty metrics; a file the SDK did not write is refused.
   */
  static fromTextfile(path: string): ResultAsync<DeployMetrics, DriverError> {
    return readOwnTextfile(path, "read").map((text) => DeployMetrics.parse(text ?? ""));
  }

  /** Parses text written by {@link render}. Unknown lines are ignored. */
  static parse(text: string): DeployMetrics {
    const metrics = new DeployMetrics();
    for (const line of text.split("\n")) {
      const m = /^(\w+)\{(.*)\} (\S+)$/.exec(line);
      if (!m) continue;
      const [, name, rawLabels = "", rawValue = ""] = m;
      const value = Number(rawValue);
      const l = Object.fromEntries(
        [...rawLabels.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]),
      );
      const env = l.env ?? "";
      if (name === METRIC.success) metrics.recordDeploy(env, "success", new Date(value * 1000));
      else if (name === METRIC.failure) metrics.recordDeploy(env, "failure", new Date(value * 1000));
      else if (name === METRIC.runs || name === METRIC.seconds) {
        const key = `${env}\0${l.path}\0${l.state}`;
        const counter = metrics.#runs.get(key) ?? {
          env,
          path: l.path ?? "",
          state: l.state ?? "",
          count: 0,
          seconds: 0,
        };
        if (name === METRIC.runs) counter.count = value;
        else counter.seconds = value;
        metrics.#runs.set(key, counter);
      } else if (name === METRIC.last) metrics.#lastDuration.set(`${env}\0${l.path ?? ""}`, value);
    }
    return metrics;
  }
}
