import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { escapeForTerminal } from "../../packages/cli/src/output";
import { main } from "./main";

/** What a terminal acts on: C0, DEL, C1, bidi marks/overrides/isolates, U+2028/9 (code points listed). */
const CONTROL = new RegExp(
  `[${[
    [0x00, 0x1f],
    [0x7f, 0x9f],
    [0x61c, 0x61c],
    [0x200e, 0x200f],
    [0x2028, 0x202e],
    [0x2066, 0x2069],
  ]
    .map(([from, to]) => `\\u{${from?.toString(16)}}-\\u{${to?.toString(16)}}`)
    .join("")}]`,
  "u",
);

/** A hostile value: colours, clears the screen, starts a fake line, reverses the text. */
const HOSTILE = "flip\u001b[31m\u001b[2J\r\nerror: all good\u202egnp.exe\u2028\u009b31m\u007f\u2066x";

/** Runs the CLI in-process; every line it printed, on stdout and on stderr. */
async function run(argv: string[]): Promise<{ code: number; stdout: string[]; stderr: string[] }> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const code = await main(
    argv,
    (l) => stdout.push(l),
    (l) => stderr.push(l),
  );
  return { code, stdout, stderr };
}

const noControl = (lines: string[]) => {
  for (const line of lines) expect(line, JSON.stringify(line)).not.toMatch(CONTROL);
};

describe("rollback CLI: no terminal control characters reach the terminal", () => {
  it("escapes each control character as \\uXXXX and leaves other text alone", () => {
    expect(escapeForTerminal("a\u001b[31mb\nc\u202ed\u2028é—✓")).toBe(
      "a\\u001b[31mb\\u000ac\\u202ed\\u2028é—✓",
    );
  });

  it("an unknown command is quoted escaped, in text and in JSON (which still parses to the value)", async () => {
    const text = await run([HOSTILE]);
    expect(text.code).toBe(2);
    expect(text.stderr[0]).toContain('unknown command "flip\\u001b[31m');
    expect(text.stderr).toHaveLength(2);
    noControl([...text.stdout, ...text.stderr]);

    const json = await run([HOSTILE, "--json"]);
    noControl([...json.stdout, ...json.stderr]);
    const parsed = JSON.parse(json.stdout[0] ?? "") as { message: string };
    expect(parsed.message).toBe(`unknown command "${HOSTILE}"`);
  });

  it("option values echoed in usage errors are escaped: an option name, a positional, a --file path", async () => {
    const dir = await mkdtemp(join(tmpdir(), "rollback-cli-tty-"));
    const cases: [string[], boolean][] = [
      [["status", `--${HOSTILE}`, "--state-dir", dir], true],
      [["resume", HOSTILE, "extra\u001b]0;title\u0007", "--state-dir", dir], true],
      [
        ["inverse-sql", "--file", join(dir, HOSTILE), "--state-dir", dir, "--reason", "r", "--dry-run"],
        false,
      ],
    ];
    for (const [argv, echoes] of cases) {
      for (const json of [false, true]) {
        const ran = await run(json ? [...argv, "--json"] : argv);
        expect(ran.code, argv.join(" ")).not.toBe(0);
        if (echoes) expect(ran.stderr.join("\n"), argv.join(" ")).toContain("\\u001b");
        noControl([...ran.stdout, ...ran.stderr]);
      }
    }
  });
});
