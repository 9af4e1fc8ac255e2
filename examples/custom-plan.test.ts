import { describe, expect, it } from "vitest";
import { main } from "./custom-plan";

describe("the README's embedding example", () => {
  it("runs the check, then the change", async () => {
    const counter = { value: 2 };
    const lines: string[] = [];
    expect(await main(counter, (l) => lines.push(l))).toBe("succeeded");
    expect(counter.value).toBe(4);
    expect(lines[0]).toContain("Plan custom on staging");
  });

  it("refuses when the check fails, changing nothing", async () => {
    const counter = { value: 0 };
    const lines: string[] = [];
    expect(await main(counter, (l) => lines.push(l))).toBe("refused");
    expect(counter.value).toBe(0);
    expect(lines.at(-1)).toContain("next: reset it first");
  });
});
