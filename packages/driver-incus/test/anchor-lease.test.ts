import { describe, expect, it } from "vitest";
import { BREAK_KEY_PREFIX, droppedBreaks, KEPT_BREAKS } from "../src/anchor-lease";

const breakKey = (token: number) => `${BREAK_KEY_PREFIX}${token}`;

describe("an anchor's break records", () => {
  it("keep the newest KEPT_BREAKS with the one being recorded: the oldest, by token, are deleted", () => {
    const config: Record<string, string> = { "user.backflip.lease.owner": "", [breakKey(5)]: "" };
    // Tokens out of order, and of different lengths (a string sort would put 100 before 99).
    for (const token of [100, 99, ...Array.from({ length: KEPT_BREAKS - 2 }, (_, i) => 1000 + i), 7])
      config[breakKey(token)] = "{}";
    expect(Object.keys(config).filter((k) => config[k] === "{}")).toHaveLength(KEPT_BREAKS + 1);
    expect(droppedBreaks(config)).toEqual({ [breakKey(7)]: "", [breakKey(99)]: "" });
  });

  it("delete nothing while fewer are recorded", () => {
    expect(droppedBreaks({ [breakKey(1)]: "{}", [breakKey(2)]: "{}" })).toEqual({});
    expect(droppedBreaks({})).toEqual({});
  });
});
