import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { quoteArgv, quoteForShell } from "../src/driver-kit/index";
import { LocalShell } from "../src/index";
import { anyArgument } from "./support/any-argument";

const shell = new LocalShell();

/** Is `program` on PATH? */
async function installed(program: string): Promise<boolean> {
  const result = await shell.run(["sh", "-c", 'command -v "$1"', "sh", program]);
  return result.isOk() && result.value.exitCode === 0;
}

/**
 * The shells a quoted line may meet: Debian's sh (dash), bash (a typical SSH login
 * shell) and busybox's ash (inside the busybox containers), when installed.
 */
const SHELLS: ReadonlyArray<{ name: string; argv: readonly string[]; available: boolean }> = [
  { name: "sh", argv: ["sh"], available: true },
  { name: "bash", argv: ["bash"], available: await installed("bash") },
  { name: "busybox sh", argv: ["busybox", "sh"], available: await installed("busybox") },
];

const EXAMPLES = [
  "",
  "'",
  "''",
  '"',
  "it's",
  "a'b\"c",
  "\n",
  "line1\nline2\n",
  "$HOME",
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal shell expansion the shell must not see
  "${PATH}",
  "$(id)",
  "`id`",
  "*",
  "-n",
  "--flag=value",
  "-",
  "\\",
  "\\'",
  "~",
  "!",
  "A=b",
  "if",
  "ünïcødé ✓ 🚀 \u{10FFFF}",
  " leading and trailing ",
];

describe.each(SHELLS)("quoting for $name", ({ name, argv, available }) => {
  /** What `<shell> -c "<script>"` prints, through LocalShell. */
  async function sh(script: string): Promise<string> {
    const result = (await shell.run([...argv, "-c", script], { timeoutMs: 10_000 }))._unsafeUnwrap();
    expect(result.exitCode, result.stderr).toBe(0);
    return result.stdout;
  }
  if (!available) {
    it.skip(`${name} is not installed`, () => undefined);
    return;
  }

  it("round-trips the examples through sh -c printf", async () => {
    for (const arg of EXAMPLES) expect(await sh(`printf %s ${quoteForShell(arg)}`)).toBe(arg);
  });

  it("round-trips any string without NUL through sh -c printf (property)", async () => {
    await fc.assert(
      fc.asyncProperty(anyArgument, async (arg) => {
        expect(await sh(`printf %s ${quoteForShell(arg)}`)).toBe(arg);
      }),
      { numRuns: 300 },
    );
  });

  it("joins a whole argv that sh -c runs with exactly those arguments (property)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(anyArgument, { maxLength: 6 }), async (args) => {
        const line = quoteArgv(["printf", "<%s>", ...args])._unsafeUnwrap();
        const expected = args.length === 0 ? "<>" : args.map((a) => `<${a}>`).join("");
        expect(await sh(line)).toBe(expected);
      }),
      { numRuns: 100 },
    );
  });

  it("quotes a first word that a shell would read as an assignment or a keyword", async () => {
    for (const first of ["A=b", "_x1=", "if", "while", "function", "{", "!"]) {
      const result = (await shell.run([...argv, "-c", quoteArgv([first])._unsafeUnwrap()]))._unsafeUnwrap();
      // Run as a command name: not found (127), never an assignment (0) or a syntax error (2).
      expect(result.exitCode, `${first}: ${result.stderr}`).toBe(127);
    }
  });
});

describe("quoteForShell and quoteArgv", () => {
  it("keep plain words readable", () => {
    expect(quoteForShell("veza-staging-haproxy")).toBe("veza-staging-haproxy");
    expect(quoteForShell("/var/lib/veza/active-color")).toBe("/var/lib/veza/active-color");
    expect(quoteForShell("two words")).toBe("'two words'");
    expect(quoteForShell("--format=csv")).toBe("--format=csv");
    expect(quoteForShell("A=b")).toBe("'A=b'");
    expect(quoteArgv(["incus", "exec", "veza-haproxy", "--", "cat", "/x y"])._unsafeUnwrap()).toBe(
      "incus exec veza-haproxy -- cat '/x y'",
    );
  });

  const bad: ReadonlyArray<readonly [string, unknown]> = [
    ["an empty argv", []],
    ["a NUL byte", ["printf", "a\0b"]],
    ["a NUL byte in the program", ["\0"]],
    ["a non-string argument", ["echo", 1]],
    ["a non-array", "echo hi"],
  ];
  for (const [what, argv] of bad) {
    it(`returns invalid_input for ${what}`, () => {
      const result = quoteArgv(argv as string[]);
      expect(result.isErr()).toBe(true);
      expect(result._unsafeUnwrapErr().reason).toBe("invalid_input");
    });
  }
});
