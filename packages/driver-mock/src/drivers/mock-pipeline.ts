import {
  type Action,
  colorContainers,
  type DispatchRequest,
  type DriverError,
  FINAL_RUN_STATUSES,
  type FollowOptions,
  otherColor,
  type Pipeline,
  type PipelineOperation,
  type PipelineRun,
} from "@backflip/core";
import { invalidInput, lazySchema, parseInput } from "@backflip/core/driver-kit";
import { err, ok, type Result, type ResultAsync } from "neverthrow";
import * as z from "zod";
import {
  answerHealth,
  deployColor,
  destroyColor,
  liveColor,
  releaseOf,
  switchTraffic,
  trafficState,
} from "../world/world-actions";
import type { RunRecord, WorldState } from "../world/world-state";
import { MOCK_FORGEJO_URL } from "./mock-forgejo-url";
import { abortedError, type FleetRuntime, opError, operation, realWait } from "./operation";

const DRIVER = "mock-pipeline";
const ACTOR = "forgejo-actions";

const requestSchema = lazySchema(() =>
  z.object({
    workflow: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*\.ya?ml$/, "expected a workflow file name like rollback.yml"),
    ref: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9/_.-]*$/, "expected a git ref like main"),
    inputs: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_-]*$/, "expected an input name"), z.string()),
  }),
);
const idSchema = lazySchema(() => z.number().int().positive());
const followSchema = lazySchema(() =>
  z.object({
    deadlineMs: z.number().int().positive(),
    pollMs: z.number().int().positive().optional(),
    signal: z.instanceof(AbortSignal).optional(),
    onStatus: z.function().optional(),
  }),
);

const isFinal = (r: RunRecord) => FINAL_RUN_STATUSES.includes(r.status);

/** Options for {@link MockPipeline}. */
export interface MockPipelineOptions {
  /** Real milliseconds `follow` waits between polls at most (default 10); the fleet clock moves by the full `pollMs`. */
  readonly realPollCapMs?: number;
}

/**
 * The simulated Forgejo Actions. Runs of the topology's `rollback.yml` (inputs `env`,
 * `mode` fast|full, `target_color`, `release_sha`) and `cleanup-failed.yml` (`env`,
 * `color`) move waiting → running → success|failure, one stage per poll (`getRun` or a
 * `follow` poll), and apply their effect to the world when they succeed: `mode=fast`
 * flips traffic to `target_color` (refused unless all its containers run),
 * `mode=full` redeploys `release_sha` into the idle color and flips (refused when an
 * artifact is missing; reverted when the public probe then fails), cleanup destroys a
 * color's app containers (refusing the live color). Custom workflows come from the world.
 */
export class MockPipeline implements Pipeline {
  readonly name = DRIVER;
  readonly #realPollCapMs: number;

  constructor(
    readonly world: WorldState,
    readonly runtime: FleetRuntime,
    options: MockPipelineOptions = {},
  ) {
    this.#realPollCapMs = options.realPollCapMs ?? 10;
  }

  #view(r: RunRecord): PipelineRun {
    return {
      id: r.id,
      runNumber: r.runNumber,
      status: r.status,
      url: `${MOCK_FORGEJO_URL}/${this.world.layout.registry.owner}/veza/actions/runs/${r.runNumber}`,
    };
  }

  /** The Forgejo API requests a call makes (the run's id is known only once dispatched). */
  describe(operation: PipelineOperation): readonly Action[] {
    const repo = `${MOCK_FORGEJO_URL}/api/v1/repos/${this.world.layout.registry.owner}/veza`;
    if (operation.op === "follow")
      return [
        {
          kind: "note",
          text: `poll GET ${repo}/actions/runs/<id> every ${operation.pollMs} ms until the run ends`,
        },
      ];
    const { workflow } = operation.request;
    return [{ kind: "http", method: "POST", url: `${repo}/actions/workflows/${workflow}/dispatches` }];
  }

  #known(workflow: string): boolean {
    const { rollback, cleanup } = this.world.layout.pipeline;
    return workflow === rollback || workflow === cleanup || this.world.workflows.has(workflow);
  }

  #required(workflow: string): string[] {
    const { rollback, cleanup } = this.world.layout.pipeline;
    if (workflow === rollback) return ["env", "mode"];
    if (workflow === cleanup) return ["env", "color"];
    return [];
  }

  dispatch(request: DispatchRequest): ResultAsync<PipelineRun, DriverError> {
    return operation(
      this.runtime,
      { op: "pipeline.dispatch", target: (r: DispatchRequest) => r.workflow },
      () =>
        parseInput(requestSchema, request, { driver: DRIVER, op: "dispatch" }).andThen((r) => {
          const missing = this.#known(r.workflow)
            ? this.#required(r.workflow).filter((k) => !(k in r.inputs))
            : [];
          return missing.length === 0
            ? ok(r)
            : err(invalidInput(DRIVER, "dispatch", `required input(s) missing: ${missing.join(", ")}`));
        }),
      (r) => {
        if (!this.#known(r.workflow) || r.ref !== this.world.layout.pipeline.ref) {
          return err(
            opError("pipeline.dispatch", "not_found", `workflow ${r.workflow} not found at ref ${r.ref}`),
          );
        }
        const id = this.world.nextRunId++;
        const run: RunRecord = {
          id,
          runNumber: id,
          workflow: r.workflow,
          ref: r.ref,
          inputs: { ...r.inputs },
          status: "waiting",
          createdAt: this.runtime.clock.now(),
          log: [`dispatched ${r.workflow} on ${r.ref} with ${JSON.stringify(r.inputs)}`],
        };
        this.world.runs.set(id, run);
        return ok(this.#view(run));
      },
    );
  }

  #get(
    op: "pipeline.getRun" | "pipeline.follow" | "pipeline.cancel",
    id: number,
  ): Result<RunRecord, DriverError> {
    const run = this.world.runs.get(id);
    return run ? ok(run) : err(opError(op, "not_found", `run ${id} not found`));
  }

  getRun(id: number): ResultAsync<PipelineRun, DriverError> {
    return operation(
      this.runtime,
      { op: "pipeline.getRun" },
      () => parseInput(idSchema, id, { driver: DRIVER, op: "getRun" }),
      (i) => this.#get("pipeline.getRun", i).map((run) => this.#view(this.#tick(run))),
    );
  }

  follow(id: number, options: FollowOptions): ResultAsync<PipelineRun, DriverError> {
    return operation(
      this.runtime,
      { op: "pipeline.follow", ...(options?.signal ? { signal: options.signal } : {}) },
      () =>
        parseInput(idSchema, id, { driver: DRIVER, op: "follow" }).andThen((i) =>
          parseInput(followSchema, options, { driver: DRIVER, op: "follow" }).map(() => i),
        ),
      async (i) => {
        const found = this.#get("pipeline.follow", i);
        if (found.isErr()) return err(found.error);
        const run = found.value;
        const pollMs = options.pollMs ?? 2_000;
        const started = this.runtime.clock.epochMs();
        let reported: string | undefined;
        for (;;) {
          if (options.signal?.aborted) return err(abortedError("pipeline.follow"));
          this.#tick(run);
          if (run.status !== reported) {
            reported = run.status;
            options.onStatus?.(this.#view(run));
          }
          if (isFinal(run)) return ok(this.#view(run));
          if (this.runtime.clock.epochMs() - started + pollMs > options.deadlineMs) {
            return err(
              opError(
                "pipeline.follow",
                "timeout",
                `run ${run.id} is still ${run.status} after ${options.deadlineMs} ms`,
                {
                  hint: "the run goes on: follow it again, or cancel it",
                  details: { runId: run.id, status: run.status },
                },
              ),
            );
          }
          this.runtime.clock.advance(pollMs);
          if (!(await realWait(Math.min(pollMs, this.#realPollCapMs), options.signal))) {
            return err(abortedError("pipeline.follow"));
          }
        }
      },
    );
  }

  cancel(id: number): ResultAsync<void, DriverError> {
    return operation(
      this.runtime,
      { op: "pipeline.cancel" },
      () => parseInput(idSchema, id, { driver: DRIVER, op: "cancel" }),
      (i) =>
        this.#get("pipeline.cancel", i).andThen((run) => {
          if (!isFinal(run)) {
            run.status = "cancelled";
            run.log.push("cancelled");
          }
          return ok(undefined);
        }),
    );
  }

  /** Moves a run one stage: waiting → running → its outcome. */
  #tick(run: RunRecord): RunRecord {
    if (run.status === "waiting") {
      run.status = "running";
      return run;
    }
    if (run.status !== "running") return run;
    const custom = this.world.workflows.get(run.workflow);
    if (custom === "never" || this.runtime.faults.armed("pipeline.run", run.workflow) === "timeout")
      return run;
    this.runtime.faults.count("pipeline.run");
    const fault = this.runtime.faults.take("pipeline.run", run.workflow);
    if (fault) {
      run.log.push(fault.message);
      run.status = "failure";
      return run;
    }
    const outcome = custom ?? this.#execute(run);
    run.status = outcome === "success" ? "success" : "failure";
    return run;
  }

  #execute(run: RunRecord): "success" | "failure" {
    const fail = (line: string) => {
      run.log.push(line);
      return "failure" as const;
    };
    const { topology } = this.world;
    const env = run.inputs.env ?? "";
    if (env !== topology.env) return fail(`env "${env}" is not this fleet's (${topology.env})`);
    const colors: readonly string[] = topology.colors;
    const live = liveColor(this.world) ?? trafficState(this.world)?.activeColor ?? null;
    const runId = `actions-${run.id}`;

    if (run.workflow === this.world.layout.pipeline.cleanup) {
      const color = run.inputs.color ?? "";
      if (!colors.includes(color)) return fail(`color "${color}" is not one of ${colors.join(", ")}`);
      if (color === live || color === trafficState(this.world)?.activeColor)
        return fail(`refusing to destroy ${color}: it is the live color`);
      destroyColor(this.world, color);
      run.log.push(`destroyed ${colorContainers(topology, color).join(", ")}`);
      return "success";
    }

    const mode = run.inputs.mode ?? "";
    if (mode === "fast") {
      const target = run.inputs.target_color ?? "";
      if (!colors.includes(target))
        return fail(`target_color "${target}" is not one of ${colors.join(", ")}`);
      const names = colorContainers(topology, target);
      const down = names.filter((n) => this.world.containers.get(n)?.status !== "Running");
      if (down.length > 0) return fail(`not RUNNING: ${down.join(", ")} — switch to Path 2`);
      const sha = releaseOf(this.world, this.world.containers.get(names[0] ?? ""));
      switchTraffic(this.world, { color: target, ...(sha ? { sha } : {}), runId, actor: ACTOR });
      run.log.push(`switched traffic to ${target}`);
      return "success";
    }
    if (mode === "full") return this.#redeploy(run, live, runId);
    return fail(`mode "${mode}" is not fast or full`);
  }

  #redeploy(run: RunRecord, live: string | null, runId: string): "success" | "failure" {
    const { topology } = this.world;
    const failed = (line: string) => {
      run.log.push(line);
      this.world.lastDeployFailureAt = this.runtime.clock.now();
      return "failure" as const;
    };
    const sha = run.inputs.release_sha ?? "";
    if (!/^[0-9a-f]{40}$/.test(sha)) return failed(`release_sha "${sha}" is not a 40-character SHA`);
    const missing = topology.containers.components.filter(
      (c) => !(this.world.artifacts.get(c) ?? []).some((a) => a.sha === sha),
    );
    if (missing.length > 0)
      return failed(`artifact missing for ${missing.join(", ")} at ${sha} — Path 3: rebuild and push`);
    const from = live ?? topology.colors[0];
    const idle = otherColor(topology, from);
    deployColor(this.world, idle, sha, { running: true, healthy: true });
    run.log.push(`deployed ${sha} into ${idle}`);
    const previousSha = releaseOf(
      this.world,
      this.world.containers.get(colorContainers(topology, from)[0] ?? ""),
    );
    switchTraffic(this.world, { color: idle, sha, runId, actor: ACTOR });
    const probe = answerHealth(this.world, new URL(this.world.layout.publicHealthUrl));
    if ("refused" in probe || probe.status !== 200) {
      switchTraffic(this.world, {
        color: from,
        ...(previousSha ? { sha: previousSha } : {}),
        runId,
        actor: ACTOR,
      });
      return failed(`public probe failed after switching to ${idle}: reverted to ${from}`);
    }
    this.world.lastDeploySuccessAt = this.runtime.clock.now();
    run.log.push(`switched traffic to ${idle}`);
    return "success";
  }
}
