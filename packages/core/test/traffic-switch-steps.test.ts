import { okAsync } from "neverthrow";
import { describe, expect, it } from "vitest";
import type { TrafficState, TrafficSwitch } from "../src/ports/traffic-switch";
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
