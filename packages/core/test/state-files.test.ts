import { describe, expect, it } from "vitest";
import { formatHistoryLine, parseActiveColor, parseHistory } from "../src/driver-kit/state-files";

const source = (path: string) => ({ driver: "nginx", op: "readState", path });

describe("traffic state files", () => {
  it("history lines round-trip, with '-' for what is unknown and the actor last", () => {
    const entries = [
      { at: "2026-01-02T00:00:00.000Z", color: "green", sha: "abc1234", runId: "r2", actor: "alice at ops" },
      { at: "2026-01-01T00:00:00.000Z", color: "blue" },
      { at: "2025-12-31T00:00:00.000Z", color: "green", actor: "pipeline" },
    ];
    const text = entries.map(formatHistoryLine).join("\n");
    expect(text.split("\n")[1]).toBe("2026-01-01T00:00:00.000Z blue - -");
    expect(parseHistory(`${text}\n\n`, source("h"))._unsafeUnwrap()).toEqual(entries);
  });

  it("a history line without a color, or an active color not among the colors, is failed for the given driver", () => {
    const error = parseHistory(
      "2026-01-01T00:00:00Z\n",
      source("/var/lib/veza/active-color.history"),
    )._unsafeUnwrapErr();
    expect(error).toMatchObject({ driver: "nginx", reason: "failed", details: { line: 1 } });
    expect(error.hint).toContain("head -2");
    const color = parseActiveColor("purple\n", ["blue", "green"], source("/var/lib/veza/active-color"));
    expect(color._unsafeUnwrapErr()).toMatchObject({ driver: "nginx", op: "readState" });
    expect(color._unsafeUnwrapErr().message).toContain('"purple"');
    expect(parseActiveColor(" green\n", ["blue", "green"], source("f"))._unsafeUnwrap()).toBe("green");
  });
});
