import { describe, expect, it } from "vitest";
import { COMMAND_TABLE, COMMANDS } from "../src/commands";
import { isMainHelp, mainHelp } from "../src/main-help";
import { backflip } from "./test-support";

describe("backflip's help, from the command table", () => {
  it("the top-level help lists every command with its summary, postmortem and lease included", async () => {
    for (const argv of [[], ["--help"], ["-h"], ["help"]]) {
      expect(isMainHelp(argv)).toBe(true);
      const help = await backflip(argv);
      expect(help.code).toBe(0);
      expect(help.stdout).toBe(mainHelp());
    }
    for (const c of COMMAND_TABLE)
      expect(mainHelp()).toMatch(new RegExp(`^  ${c.name} +${c.summary.replace(/[()|.]/g, "\\$&")}$`, "m"));
    expect(COMMAND_TABLE.map((c) => c.name)).toEqual(expect.arrayContaining(["postmortem", "lease"]));
    expect(isMainHelp(["status", "--help"])).toBe(false);
  });

  it("each command loaded from the table is the one it names, with the table's summary", () => {
    expect(COMMANDS.map((c) => [c.name, c.summary])).toEqual(COMMAND_TABLE.map((c) => [c.name, c.summary]));
  });

  it("every command answers --help with its own usage", async () => {
    for (const c of COMMAND_TABLE) {
      const help = await backflip([c.name, "--help"]);
      expect(help.code).toBe(0);
      expect(help.stdout).toMatch(new RegExp(`^Usage: backflip ${c.name}\\b`, "m"));
    }
  });

  it("an unknown command exits 2 listing the table's names", async () => {
    const unknown = await backflip(["rollbak"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain(`one of: ${COMMAND_TABLE.map((c) => c.name).join(", ")}`);
  });
});
