import { errAsync, okAsync } from "neverthrow";
import { describe, expect, it } from "vitest";
import { driverError } from "../src/errors/driver-error";
import type { Fence } from "../src/ports/lease-lock";
import type { RenderedConfig, TrafficState, TrafficSwitch } from "../src/ports/traffic-switch";
import { SWITCH_STEP_IDS, trafficSwitchSteps } from "../src/recipes/traffic-switch-steps";
import { stepContext } from "../src/testing/step-context";

const prior: TrafficState = {
  activeColor: "blue",
  history: [{ at: "2026-11-26T00:00:00.000Z", color: "blue", sha: "a".repeat(40), runId: "r0", actor: "ci" }],
};

/** A switch holding only a state (what `record`'s reconcile reads and writes). */
function stateOnlySwitch(initial: TrafficState) {
  const box = { state: initial, writes: 0 };
  const sw = {
    name: "fake",
    readState: () => okAsync(box.state),
    writeState: (s: TrafficState) => {
      box.state = s;
      box.writes++;
      return okAsync(undefined);
    },
  } as unknown as TrafficSwitch;
  return { sw, box };
}

const ctx = (runId: string) =>
  stepContext({ runId, env: "lab", outputs: { [SWITCH_STEP_IDS.readState]: prior } });

const recordStep = (sw: TrafficSwitch) =>
  trafficSwitchSteps(sw, { color: "green", actor: "t" }).find((s) => s.id === SWITCH_STEP_IDS.record);

describe("the record step's reconcile (a run killed during record)", () => {
  it("done when the history head carries the run's id", async () => {
    const recorded: TrafficState = {
      activeColor: "green",
      history: [
        { at: "2026-11-26T01:00:00.000Z", color: "green", runId: "r1", actor: "t" },
        ...prior.history,
      ],
    };
    const { sw, box } = stateOnlySwitch(recorded);
    const r = await recordStep(sw)?.reconcile?.(ctx("r1"));
    expect(r?._unsafeUnwrap()).toEqual({ done: true, output: recorded });
    expect(box.writes).toBe(0);
  });

  it("not done, and the prior color put back, when only the color was written", async () => {
    const { sw, box } = stateOnlySwitch({ activeColor: "green", history: prior.history });
    const c = ctx("r1");
    const r = await recordStep(sw)?.reconcile?.(c);
    expect(r?._unsafeUnwrap()).toEqual({ done: false });
    expect(box.state).toEqual(prior);
    expect(c.logs.join("\n")).toContain("putting blue back");
  });

  it("not done, and nothing written, when nothing was recorded", async () => {
    const { sw, box } = stateOnlySwitch(prior);
    const r = await recordStep(sw)?.reconcile?.(ctx("r1"));
    expect(r?._unsafeUnwrap()).toEqual({ done: false });
    expect(box.writes).toBe(0);
  });
});

describe("the switch steps pass the run's fence (ctx.fence) to every write", () => {
  const fence: Fence = { key: "lab", token: 4 };
  const config: RenderedConfig = { revision: "green:-:r1", color: "green", content: "x" };
  const fenced = driverError({
    driver: "fake",
    op: "reload",
    reason: "conflict",
    message: "changed under lease token 5",
    details: { fenced: true, current: 5 },
  });

  /** A switch recording each call with the fence it got; `reload` answers `reloadAnswer`. */
  function recordingSwitch(reloadAnswer: () => ReturnType<TrafficSwitch["reload"]>) {
    const calls: [string, Fence | undefined][] = [];
    const sw = {
      name: "fake",
      readState: () => okAsync(prior),
      install: (_c: RenderedConfig, f?: Fence) => {
        calls.push(["install", f]);
        return okAsync({ previousRevision: "blue:-:r0" });
      },
      reload: (f?: Fence) => {
        calls.push(["reload", f]);
        return reloadAnswer();
      },
      confirm: () => okAsync(undefined),
      restorePrevious: (f?: Fence) => {
        calls.push(["restorePrevious", f]);
        return okAsync({ revision: "blue:-:r0" });
      },
      record: (_r: unknown, f?: Fence) => {
        calls.push(["record", f]);
        return okAsync(prior);
      },
      writeState: (_s: TrafficState, f?: Fence) => {
        calls.push(["writeState", f]);
        return okAsync(undefined);
      },
    } as unknown as TrafficSwitch;
    return { sw, calls };
  }
  const fencedCtx = () =>
    stepContext({
      runId: "r1",
      fence,
      outputs: { [SWITCH_STEP_IDS.readState]: prior, [SWITCH_STEP_IDS.render]: config },
    });

  it("activate, record and their undos write under the run's fence", async () => {
    const { sw, calls } = recordingSwitch(() => okAsync(undefined));
    const [, , activate, record] = trafficSwitchSteps(sw, { color: "green", actor: "t" });
    const ctx = fencedCtx();
    const out = (await activate?.run(ctx))?._unsafeUnwrap();
    (await record?.run(ctx))?._unsafeUnwrap();
    (await record?.undo?.(ctx, prior as never))?._unsafeUnwrap();
    (await activate?.undo?.(ctx, out as never))?._unsafeUnwrap();
    expect(calls).toEqual(
      ["install", "reload", "record", "writeState", "restorePrevious", "reload"].map((op) => [op, fence]),
    );
  });

  it("activate refused as fenced after its install puts nothing back: the newer run owns the switch", async () => {
    const { sw, calls } = recordingSwitch(() => errAsync(fenced));
    const [, , activate] = trafficSwitchSteps(sw, { color: "green", actor: "t" });
    const ctx = fencedCtx();
    const error = (await activate?.run(ctx))?._unsafeUnwrapErr();
    expect(error).toMatchObject({ stepId: SWITCH_STEP_IDS.activate, reason: "conflict", cause: fenced });
    expect(calls.map(([op]) => op)).toEqual(["install", "reload"]);
    expect(ctx.logs).toEqual([]);
  });
});
