import { errAsync, okAsync, ResultAsync } from "neverthrow";
import type { DriverError } from "../errors/driver-error";
import { fromDriverError, type StepError, stepError } from "../errors/step-error";
import { defineStep, type Reconciled, type Step, type StepContext, stepHandle } from "../plan/step";
import type { RenderedConfig, SwitchRequest, TrafficState, TrafficSwitch } from "../ports/traffic-switch";
import type { DegradedMarker, DegradedMarkerStore, LaggingEdge } from "./degraded-marker";

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

/** Step ids of a fleet flip, stable across plan rebuilds (resume matches on them). */
export const FLEET_STEP_IDS = {
  preflight: (edge: string) => `preflight@${edge}`,
  prepare: (edge: string) => `prepare@${edge}`,
  commit: "commit-edges",
  confirm: (edge: string) => `confirm@${edge}`,
  record: (edge: string) => `record@${edge}`,
  markDegraded: "mark-degraded",
} as const;

/** What `commit-edges` did on each edge. */
export interface CommitOutput {
  /** The edges now serving the new revision, with that revision. */
  readonly committed: Readonly<Record<string, string>>;
  /** The edges left behind (only with `allowDegraded`). */
  readonly lagging: readonly LaggingEdge[];
}

/** What `confirm@<edge>` found: confirmed, or (with `allowDegraded`) left behind and put back. */
export interface ConfirmOutput {
  readonly confirmed: boolean;
  readonly why?: string;
}

const isFenced = (e: DriverError): boolean => e.reason === "conflict" && e.details?.fenced === true;
const commitHandle = stepHandle<CommitOutput>(FLEET_STEP_IDS.commit);

/**
 * Path 1 over N edges, each phase journaled per edge:
 * 1. checks `preflight@<edge>` (reachable: state and live revision read; still on the color
 *    the plan saw) and `prepare@<edge>` (render, validate where it runs: the kit stages the
 *    candidate beside the live file, nothing visible) — all in `group`, together;
 * 2. change `commit-edges`: install + reload on every edge in parallel. One failing puts
 *    back every edge that committed (undo: put them all back). Reconcile after a kill:
 *    all edges live on the new revision → done; otherwise every edge holding it is put
 *    back, so resume re-runs the commit and revert finds nothing half-done;
 * 3. change `confirm@<edge>`: the edge reports the new revision live. A failure fails the
 *    run, whose revert puts every edge back;
 * 4. change `record@<edge>`: the edge's state file and history (undo: the prior state);
 * 5. with `allowDegraded`: change `mark-degraded` leaves the marker naming the edges left
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
  const preflightOf = (edge: string) => stepHandle<TrafficState>(FLEET_STEP_IDS.preflight(edge));
  const prepared = (
    ctx: StepContext,
    edge: string,
    stepId: string,
  ): ResultAsync<RenderedConfig, StepError> => {
    const config = ctx.output(stepHandle<RenderedConfig>(FLEET_STEP_IDS.prepare(edge)));
    return config
      ? okAsync(config)
      : errAsync(stepError(stepId, "failed", `the config prepared for edge ${edge} is missing from the run`));
  };
  /**
   * Puts the config `install` replaced back on one edge and makes it live again. An edge
   * whose reload onto `reloading` was just sent first finishes it (confirmed, or the
   * confirm gives up): a second reload sent while the proxy still re-executes from the
   * first can be lost (HAProxy's master drops a USR2 then), and its old worker would
   * then confirm the put-back while the new config takes over.
   */
  const putBack = ({ sw }: FleetEdge, ctx: StepContext, reloading?: string): ResultAsync<void, DriverError> =>
    (reloading === undefined ? okAsync(undefined) : sw.confirm(reloading).orElse(() => okAsync(undefined)))
      .andThen(() => sw.restorePrevious(ctx.fence))
      .andThen(({ revision }) =>
        sw.reload(ctx.fence).andThen(() => (revision === null ? okAsync(undefined) : sw.confirm(revision))),
      );
  /**
   * Puts back every edge in `names`, in parallel (`reloading`: the revisions edges were
   * just reloaded onto); fails naming each one that could not be.
   */
  const putBackAll = (
    names: readonly string[],
    ctx: StepContext,
    reloading: Readonly<Record<string, string>> = {},
  ): ResultAsync<void, string> =>
    ResultAsync.fromSafePromise(
      Promise.all(
        edges
          .filter((e) => names.includes(e.name))
          .map(async (e) => {
            ctx.log(`putting edge ${e.name} back on its previous config`);
            const r = await putBack(e, ctx, reloading[e.name]);
            return r.isErr() ? `${e.name}: ${r.error.message}` : null;
          }),
      ),
    ).andThen((failures) => {
      const failed = failures.filter((f): f is string => f !== null);
      return failed.length === 0 ? okAsync(undefined) : errAsync(failed.join("; "));
    });

  const preflights = edges.map((edge) =>
    defineStep<TrafficState>({
      id: FLEET_STEP_IDS.preflight(edge.name),
      title: `Preflight edge ${edge.name}: reachable, on ${request.from[edge.name] ?? "?"}`,
      kind: "check",
      group,
      idempotent: true,
      describe: () => edge.sw.describe("readState", target),
      run: () => {
        const id = FLEET_STEP_IDS.preflight(edge.name);
        return ResultAsync.combine([edge.sw.readState(), edge.sw.liveRevision()])
          .mapErr((e) =>
            fromDriverError(id, e, `edge ${edge.name} is not reachable: nothing was changed on any edge`),
          )
          .andThen(([state]) => {
            const expected = request.from[edge.name];
            return state.activeColor === expected
              ? okAsync(state)
              : errAsync(
                  stepError(
                    id,
                    "conflict",
                    `edge ${edge.name} is on ${state.activeColor}, not ${expected ?? "a known color"} as when the flip was planned`,
                    {
                      hint: "observe the fleet again and plan the flip anew: nothing was changed on any edge",
                    },
                  ),
                );
          });
      },
    }),
  );

  const prepares = edges.map((edge) =>
    defineStep<RenderedConfig>({
      id: FLEET_STEP_IDS.prepare(edge.name),
      title: `Prepare edge ${edge.name}: render the ${request.color} config and validate it (staged, not live)`,
      kind: "check",
      group,
      idempotent: true,
      describe: () => edge.sw.describe("validate", target),
      run: (ctx) =>
        edge.sw
          .render(forRun(ctx))
          .andThen((config) => edge.sw.validate(config).map(() => config))
          .mapErr((e) =>
            fromDriverError(
              FLEET_STEP_IDS.prepare(edge.name),
              { ...e, message: `edge ${edge.name}: ${e.message}` },
              `fix edge ${edge.name}'s config: nothing was changed on any edge`,
            ),
          ),
    }),
  );

  const C = FLEET_STEP_IDS.commit;
  /** Install + reload on one edge; `installed` says whether its live file was replaced (only then is there anything to put back). */
  const commitOne = async (
    edge: FleetEdge,
    ctx: StepContext,
  ): Promise<{ edge: FleetEdge; installed: boolean; revision?: string; error?: DriverError | StepError }> => {
    const config = await prepared(ctx, edge.name, C);
    if (config.isErr()) return { edge, installed: false, error: config.error };
    const installed = await edge.sw.install(config.value, ctx.fence);
    if (installed.isErr()) return { edge, installed: false, error: installed.error };
    const reloaded = await edge.sw.reload(ctx.fence);
    return reloaded.isErr()
      ? { edge, installed: true, error: reloaded.error }
      : { edge, installed: true, revision: config.value.revision };
  };
  const commit = defineStep<CommitOutput>({
    id: C,
    title: `Commit ${request.color} on ${edges.length} edges at once (install + reload each)`,
    kind: "change",
    idempotent: true,
    describe: () => edges.flatMap((e) => e.sw.describe("activate", target)),
    run: (ctx) =>
      ResultAsync.fromSafePromise(Promise.all(edges.map((edge) => commitOne(edge, ctx)))).andThen(
        (results) => {
          const committed: Record<string, string> = {};
          for (const r of results) if (r.revision !== undefined) committed[r.edge.name] = r.revision;
          const failed = results.filter((r) => r.error !== undefined);
          if (failed.length === 0) return okAsync<CommitOutput, StepError>({ committed, lagging: [] });
          const why = failed.map((f) => `edge ${f.edge.name}: ${f.error?.message}`).join("; ");
          const installed = results.filter((r) => r.installed).map((r) => r.edge.name);
          const fenced = failed.some(
            (f) => f.error !== undefined && !("_tag" in f.error) && isFenced(f.error),
          );
          if (fenced)
            return errAsync(
              stepError(C, "conflict", `${why} (a newer run holds the lease: nothing put back)`, {
                hint: "observe the fleet: the run holding the lease decides",
              }),
            );
          // Degraded means some edges moved: with none committed, the flip simply failed.
          if (request.allowDegraded && Object.keys(committed).length > 0) {
            // A failing edge whose install landed is put back on its own; the committed ones stay.
            const behind = failed.filter((f) => f.installed).map((f) => f.edge.name);
            return putBackAll(behind, ctx)
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
          ctx.log(
            `commit failed (${why}): putting back ${installed.join(", ") || "no edge (none was installed)"}`,
          );
          return putBackAll(installed, ctx, committed)
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
        },
      ),
    undo: (ctx, output) =>
      putBackAll(Object.keys(output.committed), ctx).mapErr((e) =>
        stepError(C, "failed", `putting the edges back failed: ${e}`, {
          hint: "restore each named edge's config from its .prev copy by hand, validate it and reload",
        }),
      ),
    reconcile: (ctx) =>
      ResultAsync.combine(
        edges.map((edge) =>
          prepared(ctx, edge.name, C).andThen((config) =>
            ResultAsync.combine([edge.sw.liveRevision(), edge.sw.installedRevision()])
              .map(([live, installed]) => ({ edge, config, live, installed }))
              .mapErr((e) => fromDriverError(C, e)),
          ),
        ),
      ).andThen((seen): ResultAsync<Reconciled<CommitOutput>, StepError> => {
        if (seen.every((s) => s.live === s.config.revision))
          return okAsync({
            done: true,
            output: {
              committed: Object.fromEntries(seen.map((s) => [s.edge.name, s.config.revision])),
              lagging: [],
            },
          });
        const touched = seen
          .filter((s) => s.live === s.config.revision || s.installed === s.config.revision)
          .map((s) => s.edge.name);
        if (touched.length > 0) ctx.log(`the commit stopped half-way: putting ${touched.join(", ")} back`);
        return putBackAll(touched, ctx)
          .mapErr((e) => stepError(C, "failed", `putting the edges back failed: ${e}`))
          .map(() => ({ done: false as const }));
      }),
  });

  const laggingIn = (ctx: StepContext, edge: string) =>
    (ctx.output(commitHandle)?.lagging ?? []).some((l) => l.edge === edge);

  const confirms = edges.map((edge) => {
    const id = FLEET_STEP_IDS.confirm(edge.name);
    return defineStep<ConfirmOutput>({
      id,
      title: `Confirm edge ${edge.name} serves ${request.color}`,
      kind: "change",
      idempotent: true,
      describe: () => [{ kind: "note", text: `confirm edge ${edge.name} reports the new revision live` }],
      // Confirming changes nothing: the commit's undo puts the edges back.
      undo: () => okAsync(undefined),
      run: (ctx) => {
        if (laggingIn(ctx, edge.name)) return okAsync({ confirmed: false, why: "left behind at commit" });
        return prepared(ctx, edge.name, id).andThen((config) =>
          edge.sw
            .confirm(config.revision)
            .map((): ConfirmOutput => ({ confirmed: true }))
            .orElse((e) => {
              if (!request.allowDegraded || isFenced(e))
                return errAsync(fromDriverError(id, e, "the run's revert puts every edge back"));
              ctx.log(
                `edge ${edge.name} did not confirm (${e.message}): leaving it behind on its previous config`,
              );
              return putBack(edge, ctx)
                .orElse(() => okAsync(undefined))
                .map((): ConfirmOutput => ({ confirmed: false, why: e.message }));
            }),
        );
      },
    });
  });

  const confirmed = (ctx: StepContext, edge: string) =>
    ctx.output(stepHandle<ConfirmOutput>(FLEET_STEP_IDS.confirm(edge)))?.confirmed === true;

  const records = edges.map((edge) => {
    const id = FLEET_STEP_IDS.record(edge.name);
    return defineStep<TrafficState | null>({
      id,
      title: `Record ${request.color} as edge ${edge.name}'s active color`,
      kind: "change",
      describe: () => edge.sw.describe("record", target),
      run: (ctx) =>
        confirmed(ctx, edge.name)
          ? edge.sw.record(forRun(ctx), ctx.fence).mapErr((e) => fromDriverError(id, e))
          : okAsync(null),
      undo: (ctx, output) => {
        if (output === null) return okAsync(undefined);
        const prior = ctx.output(preflightOf(edge.name));
        if (!prior)
          return errAsync(
            stepError(id, "failed", `edge ${edge.name}'s prior traffic state is missing from the run`, {
              hint: `restore edge ${edge.name}'s active-color file and history by hand`,
            }),
          );
        return edge.sw.writeState(prior, ctx.fence).mapErr((e) => fromDriverError(id, e));
      },
      reconcile: (ctx) =>
        edge.sw
          .readState()
          .andThen((state): ResultAsync<Reconciled<TrafficState | null>, DriverError> => {
            if (state.history[0]?.runId === ctx.runId) return okAsync({ done: true, output: state });
            const prior = ctx.output(preflightOf(edge.name));
            if (!prior || prior.activeColor === state.activeColor) return okAsync({ done: false });
            return edge.sw.writeState(prior, ctx.fence).map(() => ({ done: false as const }));
          })
          .mapErr((e) => fromDriverError(id, e)),
    });
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
              const lagging: LaggingEdge[] = [
                ...(ctx.output(commitHandle)?.lagging ?? []),
                ...edges
                  .filter((e) => !laggingIn(ctx, e.name) && !confirmed(ctx, e.name))
                  .map((e) => ({
                    edge: e.name,
                    why:
                      ctx.output(stepHandle<ConfirmOutput>(FLEET_STEP_IDS.confirm(e.name)))?.why ??
                      "not confirmed",
                  })),
              ];
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

  return [...preflights, ...prepares, commit, ...confirms, ...records, ...mark];
}
