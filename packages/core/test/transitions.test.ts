import { describe, expect, it } from "vitest";
import type { RunState } from "../src/index";
import { TERMINAL_STATES } from "../src/index";
import { canTransition, TRANSITIONS, transition } from "../src/runner/transitions";

const STATES: RunState[] = [
  "planned",
  "locked",
  "checking",
  "changing",
  "verifying",
  "succeeded",
  "refused",
  "reverting",
  "reverted",
  "revert_failed",
  "aborted",
];

/** The legal edges, written out independently of the implementation. */
const LEGAL = new Set([
  "planned→locked",
  "planned→aborted",
  "locked→checking",
  "locked→aborted",
  "checking→changing",
  "checking→verifying",
  "checking→refused",
  "checking→aborted",
  "changing→verifying",
  "changing→reverting",
  "changing→aborted",
  "verifying→succeeded",
  "verifying→reverting",
  "verifying→aborted",
  "reverting→reverted",
  "reverting→revert_failed",
  "aborted→reverting",
]);

describe("the run transition table", () => {
  it("covers every state", () => {
    expect(Object.keys(TRANSITIONS).sort()).toEqual([...STATES].sort());
  });

  for (const from of STATES) {
    for (const to of STATES) {
      const legal = LEGAL.has(`${from}→${to}`);
      it(`${legal ? "allows" : "refuses"} ${from} → ${to}`, () => {
        expect(canTransition(from, to)).toBe(legal);
        const moved = transition(from, to);
        if (legal) expect(moved._unsafeUnwrap()).toBe(to);
        else {
          const error = moved._unsafeUnwrapErr();
          expect(error).toMatchObject({ _tag: "IllegalTransition", from, to });
          expect(error.message).toContain(`${from} → ${to}`);
        }
      });
    }
  }

  it("lets nothing leave a terminal state except aborted, which may only revert", () => {
    for (const state of TERMINAL_STATES) {
      expect(TRANSITIONS[state]).toEqual(state === "aborted" ? ["reverting"] : []);
    }
  });

  it("refuses unknown states", () => {
    expect(canTransition("nowhere" as RunState, "locked")).toBe(false);
    expect(transition("nowhere" as RunState, "locked").isErr()).toBe(true);
  });
});
