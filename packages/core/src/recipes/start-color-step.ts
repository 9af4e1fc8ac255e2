import { errAsync, okAsync, type ResultAsync } from "neverthrow";
import type { DriverError } from "../errors/driver-error";
import { fromDriverError } from "../errors/step-error";
import type { Action } from "../plan/action";
import { locationOf } from "../plan/location-of";
import { defineStep, type Step } from "../plan/step";
import type { ContainerHost } from "../ports/container-host";
import type { HealthProbe } from "../ports/health-probe";
import { containerName, localHealthUrl } from "../topology/topology";
import type { TopologyWith } from "../topology/topology-with";
import { IDLE_COLOR_OUTPUT, type IdleColorOutput } from "./idle-color-check";
import { inOrder } from "./in-order";
import { hostActions, note } from "./port-actions";
import { recipeError } from "./recipe-input";

/** The step id of {@link startColorStep}. */
export const START_STEP_ID = "start-and-check";

/** What starting did: which containers it started from Stopped (stopped again on undo) and which it restarted. */
export interface StartOutput {
  readonly started: readonly string[];
  readonly restarted: readonly string[];
}

const decoder = new TextDecoder();

/**
 * Phase D: starts every container of the idle color (restarts a running one so it picks
 * up the staged release), then checks each locally: RUNNING, its release file says `sha`,
 * and its own health URL answers (when `app.localHealthUrl` is configured). On a failed
 * check the containers it started are stopped again and nothing is flipped. Undo stops
 * the containers it started: those the idle-color check saw stopped before the run, so a
 * re-run after a kill mid-restart never counts a container it stopped itself.
 */
export function startColorStep(
  host: ContainerHost,
  probe: HealthProbe,
  topology: TopologyWith<"app">,
  color: string,
  sha: string,
): Step<StartOutput> {
  const { releaseFile } = topology.containers.app;
  const targets = topology.containers.components.map((component) => ({
    component,
    name: containerName(topology, component, color),
    url: localHealthUrl(topology, component, color),
  }));
  const stopAll = (names: readonly string[]) =>
    inOrder(names, (name) => host.stop(name, { timeoutS: 30 })).map(() => undefined);

  const checkOne = (t: (typeof targets)[number], signal: AbortSignal): ResultAsync<void, DriverError> =>
    host
      .state(t.name)
      .andThen((info) =>
        info.running
          ? host.pullFile(t.name, releaseFile)
          : errAsync(recipeError("startColor", "failed", `${t.name} is ${info.status} after start`)),
      )
      .andThen((bytes) => {
        const release = decoder.decode(bytes).trim();
        return release === sha
          ? okAsync(undefined)
          : errAsync(
              recipeError(
                "startColor",
                "failed",
                `${t.name} carries release ${release || "none"}, not ${sha}`,
              ),
            );
      })
      .andThen(() =>
        t.url === null
          ? okAsync(undefined)
          : probe
              .check({ url: t.url, attempts: 3, deadlineMs: 15_000, intervalMs: 500, signal })
              .map(() => undefined),
      );

  return defineStep({
    id: START_STEP_ID,
    title: `Start the ${color} containers and check each locally`,
    kind: "change",
    idempotent: true,
    describe: () => [
      note("a container already running is restarted instead, to pick up the staged release"),
      ...targets.flatMap((t): Action[] => [
        ...hostActions(host, { op: "start", name: t.name }),
        { kind: "file", op: "read", where: locationOf(host.shell(t.name)), path: releaseFile },
        ...(t.url ? [{ kind: "http", method: "GET", url: t.url } as const] : []),
      ]),
    ],
    run: (ctx) =>
      inOrder(targets, (t) =>
        host.state(t.name).andThen((info) => {
          if (!info.running)
            return host.start(t.name, { timeoutS: 60 }).map(() => ({ name: t.name, was: "stopped" }));
          return host
            .stop(t.name, { timeoutS: 30 })
            .andThen(() => host.start(t.name, { timeoutS: 60 }))
            .map(() => ({ name: t.name, was: "running" }));
        }),
      )
        .mapErr((e) => fromDriverError(START_STEP_ID, e))
        .andThen((rows) => {
          // Which containers were running before the run (the idle-color check saw them): a
          // container stopped by an interrupted earlier attempt of this step is not "started".
          const seen: Partial<IdleColorOutput> | undefined = ctx.output(IDLE_COLOR_OUTPUT);
          const before = seen?.running;
          const wasStopped = (r: { name: string; was: string }) =>
            before ? !before.includes(r.name) : r.was === "stopped";
          const output: StartOutput = {
            started: rows.filter(wasStopped).map((r) => r.name),
            restarted: rows.filter((r) => !wasStopped(r)).map((r) => r.name),
          };
          ctx.log(`started ${rows.map((r) => r.name).join(", ")}`);
          return inOrder(targets, (t) => checkOne(t, ctx.signal))
            .map(() => output)
            .orElse((e) =>
              stopAll(output.started)
                .orElse(() => okAsync(undefined))
                .andThen(() =>
                  errAsync(
                    fromDriverError(
                      START_STEP_ID,
                      e,
                      `the ${color} containers do not come up healthy with ${sha.slice(0, 12)}: nothing was flipped; read their logs (journalctl) and pick another SHA, or Path 3`,
                    ),
                  ),
                ),
            );
        }),
    undo: (ctx, output) => {
      ctx.log(`stopping ${output.started.join(", ") || "nothing"} (stopped before the run)`);
      return stopAll(output.started).mapErr((e) => fromDriverError(START_STEP_ID, e));
    },
  });
}
