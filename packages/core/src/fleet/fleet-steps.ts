import { errAsync, okAsync, ResultAsync } from "neverthrow";
import type { DriverError } from "../errors/driver-error";
import { fromDriverError, type StepError, stepError } from "../errors/step-error";
import { defineStep, type Reconciled, type Step, type StepContext, stepHandle } from "../plan/step";
import type { RenderedConfig, SwitchRequest, TrafficState, TrafficSwitch } from "../ports/traffic-switch";
import type { DegradedMarker, DegradedMarkerStore, LaggingEdge } from "./degraded-marker";
import { byEdge, onEveryEdge, putBackAll } from "./every-edge";

/** One edge proxy of a fleet: its name in the topology and its switch (any driver). */
export interface FleetEdge {
  readonly name: string;
  readonly sw: TrafficSwitch;
}

/** What a fleet flip switches to, and how far it may leave the fleet split. */
export interface FleetSwitchRequest {
  /** The color every edge goes to. */
  readonly color: string;
  /** The release SHA of that color, when known. */
  readonly sha?: string;
  /** Who asked for the flip. */
  readonly actor: string;
  /** Each edge's active color when the plan was made: preflight refuses an edge that moved since. */
  readonly from: Readonly<Record<string, string>>;
  /**
   * Acknowledged: edges that fail to commit or confirm are left behind (named in a
   * {@link DegradedMarker}) instead of every edge being put back.
   */
  readonly allowDegraded: boolean;
  /** Where the marker goes (required with `allowDegraded`). */
  readonly marker?: DegradedMarkerStore;
}

/**
 * Step ids of a fleet flip, one step per phase (its output holds every edge's outcome),
 * stable across plan rebuilds (resume matches on them).
 */
export const FLEET_STEP_IDS = {
  preflight: "preflight-edges",
  prepare: "prepare-edges",
  commit: "commit-edges",
  record: "record-edges",
  markDegraded: "mark-degraded",
} as const;

/** What `preflight-edges` read: each edge's traffic state before the flip, by edge name. */
export type PreflightOutput = Readonly<Record<string, TrafficState>>;

/** What `prepare-edges` rendered and validated: each edge's config, by edge name. */
export type PrepareOutput = Readonly<Record<string, RenderedConfig>>;

/** What `commit-edges` did on each edge. */
export interface CommitOutput {
  /** The edges confirmed serving the new revision, with that revision. */
  readonly committed: Readonly<Record<string, string>>;
  /** The edges left behind, on their previous config (only with `allowDegraded`). */
  readonly lagging: readonly LaggingEdge[];
}

/** What `record-edges` recorded: the edges whose state file and history name the new color. */
export type RecordOutput = readonly string[];

/** Typed handles to the phases' outputs, for `ctx.output(handle)` in later steps. */
export const FLEET_OUTPUTS = {
  preflight: stepHandle<PreflightOutput>(FLEET_STEP_IDS.preflight),
  prepare: stepHandle<PrepareOutput>(FLEET_STEP_IDS.prepare),
  commit: stepHandle<CommitOutput>(FLEET_STEP_IDS.commit),
} as const;

const isFenced = (e: DriverError): boolean => e.reason === "conflict" && e.details?.fenced === true;

/** One edge's commit: whether its live file was replaced (only then is there anything to put back). */
interface EdgeCommit {
  readonly edge: FleetEdge;
  readonly installed: boolean;
  readonly error?: DriverError;
}

/**
 * Path 1 over N edges, one journaled step per phase (each step's output names every
 * edge's outcome, so the journal holds what each edge did):
 * 1. checks `preflight-edges` (every edge reachable: state and live revision read; still
 *    on the color the plan saw) and `prepare-edges` (every edge's config rendered and
 *    validated where it runs: the kit stages the candidate beside the live file, nothing
 *    visible) — both in `group`, together, each over every edge at once;
 * 2. change `commit-edges`: install + reload on every edge at once, then each confirmed. One failing
 *    puts back every edge that installed, once every edge's own reload was confirmed or
 *    given up on (undo: put them all back). Reconcile after a kill: all edges live on the
 *    new revision → done; otherwise every edge holding it is put back, so resume re-runs
 *    the commit and revert finds nothing half-done;
 * 3. change `record-edges`: every committed edge's state file and history, at once (undo,
 *    or one failing: the prior states written back);
 * 4. with `allowDegraded`: change `mark-degraded` leaves the marker naming the edges left
 *    behind (undo: removes this run's marker).
 * Without `allowDegraded`, any edge failing means no edge changed, or every edge put back.
 */
export function fleetSwitchSteps(
  edges: readonly FleetEdge[],
  request: FleetSwitchRequest,
  group: string,
): Step[] {
  const target = { color: request.color, ...(request.sha === undefined ? {} : { sha: request.sha }) };
  const forRun = (ctx: StepContext): SwitchRequest => ({
    color: request.color,
    ...(request.sha === undefined ? {} : { sha: request.sha }),
    actor: request.actor,
    runId: ctx.runId,
  });
  const named = (edge: FleetEdge, e: DriverError): DriverError => ({
    ...e,
    message: `edge ${edge.name}: ${e.message}`,
  });
  const { preflight: P, prepare: R, commit: C, record: W } = FLEET_STEP_IDS;
  const prepared = (ctx: StepContext, stepId: string): ResultAsync<PrepareOutput, StepError> => {
    const configs = ctx.output(FLEET_OUTPUTS.prepare);
    return configs && edges.every((e) => configs[e.name])
      ? okAsync(configs)
      : errAsync(stepError(stepId, "failed", "the configs prepared for the edges are missing from the run"));
  };
  const priorOf = (ctx: StepContext, edge: FleetEdge): TrafficState | undefined =>
    ctx.output(FLEET_OUTPUTS.preflight)?.[edge.name];

  const preflight = defineStep<PreflightOutput>({
    id: P,
    title: `Preflight ${edges.length} edges: each reachable, still on the color the plan saw`,
    kind: "check",
    group,
    idempotent: true,
    describe: () => edges.flatMap((e) => e.sw.describe("readState", target)),
    run: () =>
      onEveryEdge(edges, (edge) =>
        ResultAsync.combine([edge.sw.readState(), edge.sw.liveRevision()])
          .map(([state]) => state)
          .mapErr((e) =>
            fromDriverError(
              P,
              named(edge, e),
              `edge ${edge.name} is not reachable: nothing was changed on any edge`,
            ),
          )
          .andThen((state) => {
            const expected = request.from[edge.name];
            return state.activeColor === expected
              ? okAsync(state)
              : errAsync(
                  stepError(
                    P,
                    "conflict",
                    `edge ${edge.name} is on ${state.activeColor}, not ${expected ?? "a known color"} as when the flip was planned`,
                    {
                      hint: "observe the fleet again and plan the flip anew: nothing was changed on any edge",
                    },
                  ),
                );
          }),
      ).andThen(byEdge),
  });

  const prepare = defineStep<PrepareOutput>({
    id: R,
    title: `Prepare ${edges.length} edges: render the ${request.color} config and validate it on each (staged, not live)`,
    kind: "check",
    group,
    idempotent: true,
    describe: () => edges.flatMap((e) => e.sw.describe("validate", target)),
    run: (ctx) =>
      onEveryEdge(edges, (edge) =>
        edge.sw
          .render(forRun(ctx))
          .andThen((config) => edge.sw.validate(config).map(() => config))
          .mapErr((e) =>
            fromDriverError(
              R,
              named(edge, e),
              `fix edge ${edge.name}'s config: nothing was changed on any edge`,
            ),
          ),
      ).andThen(byEdge),
  });

  /** Install + reload on one edge (its confirm comes once every edge has reloaded). */
  const activateOne = async (
    edge: FleetEdge,
    config: RenderedConfig,
    ctx: StepContext,
  ): Promise<EdgeCommit> => {
    const installed = await edge.sw.install(config, ctx.fence);
    if (installed.isErr()) return { edge, installed: false, error: installed.error };
    const reloaded = await edge.sw.reload(ctx.fence);
    return reloaded.isErr() ? { edge, installed: true, error: reloaded.error } : { edge, installed: true };
  };
  /**
   * Every edge installed and reloaded at once, then each reloaded edge confirmed in turn:
   * while the first waits for its new workers the others start theirs, so the later
   * confirms answer at once, and one edge at a time polls its proxy instead of every
   * edge polling while the others still re-execute (on a small machine, parallel polling
   * slowed the reloads it waited for).
   */
  const commitAll = async (configs: PrepareOutput, ctx: StepContext): Promise<EdgeCommit[]> => {
    const reloaded = await Promise.all(
      edges.map((edge) => activateOne(edge, configs[edge.name] as RenderedConfig, ctx)),
    );
    const results: EdgeCommit[] = [];
    for (const r of reloaded) {
      const revision = configs[r.edge.name]?.revision ?? "";
      const confirmed = r.error === undefined ? await r.edge.sw.confirm(revision) : undefined;
      results.push(confirmed?.isErr() ? { ...r, error: confirmed.error } : r);
    }
    return results;
  };
  /** What the commit does once every edge's own install, reload and confirm has ended. */
  const settle = (
    results: readonly EdgeCommit[],
    configs: PrepareOutput,
    ctx: StepContext,
  ): ResultAsync<CommitOutput, StepError> => {
    const committed: Record<string, string> = {};
    for (const r of results)
      if (r.error === undefined) committed[r.edge.name] = configs[r.edge.name]?.revision ?? "";
    const failed = results.filter((r) => r.error !== undefined);
    if (failed.length === 0) return okAsync({ committed, lagging: [] });
    const why = failed.map((f) => `edge ${f.edge.name}: ${f.error?.message}`).join("; ");
    const installed = results.filter((r) => r.installed).map((r) => r.edge.name);
    if (failed.some((f) => f.error !== undefined && isFenced(f.error)))
      return errAsync(
        stepError(C, "conflict", `${why} (a newer run holds the lease: nothing put back)`, {
          hint: "observe the fleet: the run holding the lease decides",
        }),
      );
    // Degraded means some edges moved: with none committed, the flip simply failed.
    if (request.allowDegraded && Object.keys(committed).length > 0) {
      // A failing edge whose install landed is put back on its own; the committed ones stay.
      const behind = failed.filter((f) => f.installed).map((f) => f.edge.name);
      return putBackAll(edges, behind, ctx)
        .orElse((e) => {
          ctx.log(`putting a lagging edge back failed: ${e}`);
          return okAsync(undefined);
        })
        .map(
          (): CommitOutput => ({
            committed,
            lagging: failed.map((f) => ({ edge: f.edge.name, why: f.error?.message ?? "failed" })),
          }),
        );
    }
    ctx.log(`commit failed (${why}): putting back ${installed.join(", ") || "no edge (none was installed)"}`);
    return putBackAll(edges, installed, ctx)
      .mapErr((restore) =>
        stepError(C, "failed", `${why}; putting the edges back failed too: ${restore}`, {
          hint: "restore each named edge's config from its .prev copy by hand, validate it and reload; then observe the fleet",
        }),
      )
      .andThen(() =>
        errAsync<CommitOutput, StepError>(
          stepError(
            C,
            failed[0]?.error?.reason ?? "failed",
            `${why}: every edge is back on its previous config`,
            {
              hint: `fix edge ${failed.map((f) => f.edge.name).join(", ")}, then flip again (or run with allowDegraded, acknowledged, to leave it behind)`,
            },
          ),
        ),
      );
  };
  const commit = defineStep<CommitOutput>({
    id: C,
    title: `Commit ${request.color} on ${edges.length} edges at once (install + reload + confirm each)`,
    kind: "change",
    idempotent: true,
    describe: () => edges.flatMap((e) => e.sw.describe("activate", target)),
    // Every edge's reload is confirmed (or given up on) before any put-back starts.
    run: (ctx) =>
      prepared(ctx, C).andThen((configs) =>
        ResultAsync.fromSafePromise(commitAll(configs, ctx)).andThen((results) =>
          settle(results, configs, ctx),
        ),
      ),
    undo: (ctx, output) =>
      putBackAll(edges, Object.keys(output.committed), ctx).mapErr((e) =>
        stepError(C, "failed", `putting the edges back failed: ${e}`, {
          hint: "restore each named edge's config from its .prev copy by hand, validate it and reload",
        }),
      ),
    reconcile: (ctx) =>
      prepared(ctx, C).andThen((configs) =>
        onEveryEdge(edges, (edge) =>
          ResultAsync.combine([edge.sw.liveRevision(), edge.sw.installedRevision()])
            .map(([live, installed]) => ({ edge, revision: configs[edge.name]?.revision, live, installed }))
            .mapErr((e) => fromDriverError(C, named(edge, e))),
        )
          .andThen(byEdge)
          .andThen((seen): ResultAsync<Reconciled<CommitOutput>, StepError> => {
            const all = Object.values(seen);
            if (all.every((s) => s.live === s.revision))
              return okAsync({
                done: true,
                output: {
                  committed: Object.fromEntries(all.map((s) => [s.edge.name, s.revision ?? ""])),
                  lagging: [],
                },
              });
            const touched = all
              .filter((s) => s.live === s.revision || s.installed === s.revision)
              .map((s) => s.edge.name);
            if (touched.length > 0)
              ctx.log(`the commit stopped half-way: putting ${touched.join(", ")} back`);
            return putBackAll(edges, touched, ctx)
              .mapErr((e) => stepError(C, "failed", `putting the edges back failed: ${e}`))
              .map(() => ({ done: false as const }));
          }),
      ),
  });

  const committedEdges = (ctx: StepContext): FleetEdge[] => {
    const committed = ctx.output(FLEET_OUTPUTS.commit)?.committed ?? {};
    return edges.filter((e) => committed[e.name] !== undefined);
  };
  /** Writes back the prior state of every edge in `names`; fails naming each one that could not be. */
  const restoreStates = (names: readonly string[], ctx: StepContext): ResultAsync<void, StepError> =>
    onEveryEdge(
      edges.filter((e) => names.includes(e.name)),
      (edge) => {
        const prior = priorOf(ctx, edge);
        return prior
          ? edge.sw.writeState(prior, ctx.fence).mapErr((e) => fromDriverError(W, named(edge, e)))
          : errAsync(
              stepError(W, "failed", `edge ${edge.name}'s prior traffic state is missing from the run`, {
                hint: `restore edge ${edge.name}'s active-color file and history by hand`,
              }),
            );
      },
    )
      .andThen(byEdge)
      .map(() => undefined);

  const record = defineStep<RecordOutput>({
    id: W,
    title: `Record ${request.color} as every committed edge's active color`,
    kind: "change",
    describe: () => edges.flatMap((e) => e.sw.describe("record", target)),
    // One edge failing writes the others' prior state back: the runner undoes completed steps only.
    run: (ctx) =>
      onEveryEdge(committedEdges(ctx), (edge) =>
        edge.sw.record(forRun(ctx), ctx.fence).mapErr((e) => named(edge, e)),
      ).andThen((results) => {
        const recorded = results.filter((r) => r.result.isOk()).map((r) => r.edge.name);
        const failed = results.flatMap((r) => (r.result.isErr() ? [r.result.error] : []));
        const [first] = failed;
        if (first === undefined) return okAsync<RecordOutput, StepError>(recorded);
        const error = fromDriverError(W, { ...first, message: failed.map((f) => f.message).join("; ") });
        // Fenced: a newer run holds the lease, and the state files are its call.
        if (failed.some(isFenced)) return errAsync<RecordOutput, StepError>(error);
        return restoreStates(recorded, ctx)
          .mapErr((restore) => ({
            ...error,
            message: `${error.message}; writing back the prior state failed too: ${restore.message}`,
          }))
          .andThen(() => errAsync<RecordOutput, StepError>(error));
      }),
    undo: (ctx, output) => restoreStates(output, ctx),
    // Every committed edge recorded by this run → done. Otherwise each edge this run wrote
    // (its history head, or a color written without its history line) gets its prior
    // state back, so a revert leaves no state file naming a color its proxy does not route
    // to, and a resume records every edge again.
    reconcile: (ctx) =>
      onEveryEdge(committedEdges(ctx), (edge) =>
        edge.sw
          .readState()
          .map((state) => ({ edge, state }))
          .mapErr((e) => fromDriverError(W, named(edge, e))),
      )
        .andThen(byEdge)
        .andThen((seen): ResultAsync<Reconciled<RecordOutput>, StepError> => {
          const all = Object.values(seen);
          if (all.every((s) => s.state.history[0]?.runId === ctx.runId))
            return okAsync({ done: true, output: all.map((s) => s.edge.name) });
          const written = all
            .filter(
              (s) =>
                s.state.history[0]?.runId === ctx.runId ||
                s.state.activeColor !== priorOf(ctx, s.edge)?.activeColor,
            )
            .map((s) => s.edge.name);
          return restoreStates(written, ctx).map(() => ({ done: false as const }));
        }),
  });

  const marker = request.marker;
  const mark =
    request.allowDegraded && marker
      ? [
          defineStep<DegradedMarker | null>({
            id: FLEET_STEP_IDS.markDegraded,
            title: "Leave the degraded marker naming the edges left behind, if any",
            kind: "change",
            idempotent: true,
            describe: () => [
              { kind: "note", text: "write the fleet's degraded marker when an edge was left behind" },
            ],
            run: (ctx) => {
              const lagging = ctx.output(FLEET_OUTPUTS.commit)?.lagging ?? [];
              if (lagging.length === 0) return okAsync(null);
              const m: DegradedMarker = {
                runId: ctx.runId,
                at: new Date().toISOString(),
                color: request.color,
                lagging,
                actor: request.actor,
              };
              ctx.log(`fleet degraded: ${lagging.map((l) => l.edge).join(", ")} left behind`);
              return marker
                .write(m)
                .map(() => m)
                .mapErr((e) => fromDriverError(FLEET_STEP_IDS.markDegraded, e));
            },
            undo: (ctx, output) =>
              output === null
                ? okAsync(undefined)
                : marker
                    .read()
                    .andThen((m) => (m?.runId === ctx.runId ? marker.clear() : okAsync(undefined)))
                    .mapErr((e) => fromDriverError(FLEET_STEP_IDS.markDegraded, e)),
          }),
        ]
      : [];

  return [preflight, prepare, commit, record, ...mark];
}
