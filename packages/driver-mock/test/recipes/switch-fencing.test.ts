import type { DriverError, Fence, RenderedConfig, Step, TrafficState } from "@backflip/core";
import { SWITCH_STEP_IDS, trafficSwitchSteps } from "@backflip/core/recipes";
import { stepContext } from "@backflip/core/testing/fakes";
import { describe, expect, it } from "vitest";
import { fleet } from "./fleet-run";

type Fleet = ReturnType<typeof fleet>;

/** One run of the switch steps to `color` under `fence`, its outputs kept as the runner would. */
function switchRun(f: Fleet, runId: string, color: string, fence: Fence) {
  const [readState, render, activate, record] = trafficSwitchSteps(f.drivers.traffic, {
    color,
    actor: runId,
  }) as [Step, Step, Step, Step];
  const outputs: Record<string, unknown> = {};
  const ctx = () => stepContext({ runId, fence, outputs });
  return {
    steps: { activate, record },
    ctx,
    /** Reads the state and renders, as the check steps do. */
    async prepare() {
      outputs[SWITCH_STEP_IDS.readState] = (await readState.run(ctx()))._unsafeUnwrap() as TrafficState;
      outputs[SWITCH_STEP_IDS.render] = (await render.run(ctx()))._unsafeUnwrap() as RenderedConfig;
    },
  };
}

const fencedCause = (error: { reason: string; cause?: unknown }) => {
  expect(error.reason).toBe("conflict");
  expect((error.cause as DriverError).details).toMatchObject({ fenced: true, current: 2, token: 1 });
};

describe("the switch steps under a broken lease", () => {
  it("a run whose lease was broken and taken over cannot record, revert or flip: the switch refuses it", async () => {
    const f = fleet();
    const a = switchRun(f, "run-a", "blue", { key: "staging", token: 1 });
    await a.prepare();
    const activated = (await a.steps.activate.run(a.ctx()))._unsafeUnwrap();
    expect(f.world.traffic()).toMatchObject({ liveColor: "blue", activeColor: "green" });

    // A's lease is broken; B takes it (token 2) and flips back to green.
    const b = switchRun(f, "run-b", "green", { key: "staging", token: 2 });
    await b.prepare();
    (await b.steps.activate.run(b.ctx()))._unsafeUnwrap();
    (await b.steps.record.run(b.ctx()))._unsafeUnwrap();
    const settled = f.world.traffic();
    expect(settled).toMatchObject({ liveColor: "green", activeColor: "green" });
    expect(settled.history[0]?.runId).toBe("run-b");

    // A goes on as if it still held the lease: every write is refused by the switch.
    fencedCause((await a.steps.record.run(a.ctx()))._unsafeUnwrapErr());
    fencedCause((await a.steps.record.undo!(a.ctx(), undefined as never))._unsafeUnwrapErr());
    fencedCause((await a.steps.activate.undo!(a.ctx(), activated as never))._unsafeUnwrapErr());
    const again = a.ctx();
    fencedCause((await a.steps.activate.run(again))._unsafeUnwrapErr());
    expect(again.logs.join("\n")).not.toContain("putting the previous config back");
    expect(f.world.traffic()).toEqual(settled);
  });

  it("a resumed run under a newer lease of the same environment is accepted", async () => {
    const f = fleet();
    const first = switchRun(f, "run-a", "blue", { key: "staging", token: 1 });
    await first.prepare();
    (await first.steps.activate.run(first.ctx()))._unsafeUnwrap();
    const resumed = switchRun(f, "run-a", "blue", { key: "staging", token: 3 });
    await resumed.prepare();
    (await resumed.steps.record.run(resumed.ctx()))._unsafeUnwrap();
    expect(f.world.traffic()).toMatchObject({ liveColor: "blue", activeColor: "blue" });
  });
});
