import type { Result } from "neverthrow";
import { describe, expect, it } from "vitest";
import type { DriverError } from "../errors/driver-error";
import type { Shell, ShellResult } from "../ports/shell";
import type { ConformanceTarget } from "./conformance-target";
import { errValue as failure, okValue } from "./result-values";
import { shellFilesTests } from "./shell-files-conformance";
import { withFixture } from "./with-fixture";

/** Arguments no shell may interpret: quotes, expansions, globs, operators, newlines, a leading dash. */
const AWKWARD_ARGS = [
  "two words",
  "'single'",
  '"double"',
  "$HOME",
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal shell expansion the shell must not see
  "${PATH}",
  "`id`",
  "$(id)",
  "line1\nline2",
  "*",
  "?",
  "; exit 7",
  "| cat",
  "&& false",
  "> /dev/null",
  "-n",
  "",
  "back\\slash",
  "tab\there",
  "ünïcødé ✓ 🚀",
];

/**
 * The {@link Shell} contract, for every Shell: LocalShell, an SSH shell, `incus exec`
 * into a busybox container. Uses only commands busybox and Debian both have
 * (`sh`, `cat`, `printf`, `sleep`, `echo`, `head`, `yes`).
 */
export function runShellConformance(target: ConformanceTarget<Shell>): void {
  describe.skipIf(target.skip ?? false)(`Shell conformance: ${target.name}`, () => {
    const withShell = (use: (shell: Shell) => Promise<void>) => withFixture(target, use);
    it("has a name", async () => {
      await withShell(async (shell) => {
        expect(typeof shell.name).toBe("string");
        expect(shell.name.length).toBeGreaterThan(0);
      });
    });

    it("returns exit code 0 as a result", async () => {
      await withShell(async (shell) => {
        const r = await shell.run(["sh", "-c", "exit 0"]);
        const value = okValue(r);
        expect(value.exitCode).toBe(0);
        expect(value.truncated).toBe(false);
        expect(value.durationMs).toBeGreaterThanOrEqual(0);
      });
    });

    it("returns a non-zero exit code as a result, not an error", async () => {
      await withShell(async (shell) => {
        const r = await shell.run(["sh", "-c", "exit 3"]);
        expect(okValue(r).exitCode).toBe(3);
      });
    });

    it("keeps stdout and stderr apart", async () => {
      await withShell(async (shell) => {
        const r = await shell.run(["sh", "-c", "echo out; echo err >&2; echo more"]);
        const value = okValue(r);
        expect(value.stdout).toBe("out\nmore\n");
        expect(value.stderr).toBe("err\n");
      });
    });

    it("passes stdin bytes exactly, then closes it", async () => {
      await withShell(async (shell) => {
        const text = "héllo\n\u{1F600} line two\r\n\ttabbed\n";
        const bytes = new TextEncoder().encode(text);
        const asBytes = await shell.run(["cat"], { stdin: bytes });
        expect(okValue(asBytes).stdout).toBe(text);
        const asString = await shell.run(["cat"], { stdin: text });
        expect(okValue(asString).stdout).toBe(text);
      });
    });

    it("passes a large stdin through without blocking", async () => {
      await withShell(async (shell) => {
        const big = "0123456789abcdef".repeat(16 * 1024);
        const r = await shell.run(["cat"], { stdin: big, timeoutMs: 30_000 });
        const value = okValue(r);
        expect(value.stdout.length).toBe(big.length);
        expect(value.stdout === big).toBe(true);
      });
    });

    it("gives a command without stdin an empty, closed stdin", async () => {
      await withShell(async (shell) => {
        const r = await shell.run(["cat"], { timeoutMs: 20_000 });
        const value = okValue(r);
        expect(value.exitCode).toBe(0);
        expect(value.stdout).toBe("");
      });
    });

    it("passes argv to the program untouched by any shell", async () => {
      await withShell(async (shell) => {
        const r = await shell.run(["printf", "[%s]\\n", ...AWKWARD_ARGS]);
        const value = okValue(r);
        expect(value.exitCode).toBe(0);
        expect(value.stdout).toBe(AWKWARD_ARGS.map((a) => `[${a}]\n`).join(""));
      });
    });

    it("passes awkward arguments through sh -c as positional parameters", async () => {
      await withShell(async (shell) => {
        const r = await shell.run([
          "sh",
          "-c",
          'for a in "$@"; do printf "<%s>" "$a"; done',
          "sh",
          ...AWKWARD_ARGS,
        ]);
        const value = okValue(r);
        expect(value.stdout).toBe(AWKWARD_ARGS.map((a) => `<${a}>`).join(""));
      });
    });

    it("returns a timeout error when timeoutMs passes", async () => {
      await withShell(async (shell) => {
        const r = await shell.run(["sleep", "30"], { timeoutMs: 300 });
        expect(errValue(r).reason).toBe("timeout");
      });
    });

    it("returns an aborted error when the signal aborts", async () => {
      await withShell(async (shell) => {
        const controller = new AbortController();
        const pending = shell.run(["sleep", "30"], { signal: controller.signal });
        setTimeout(() => controller.abort(), 300);
        const r = await pending;
        expect(errValue(r).reason).toBe("aborted");
      });
    });

    it("returns aborted without running when the signal is already aborted", async () => {
      await withShell(async (shell) => {
        const marker = `/tmp/backflip-conformance-${process.pid}-${Math.random().toString(36).slice(2)}`;
        const r = await shell.run(["sh", "-c", `echo ran > ${marker}`], { signal: AbortSignal.abort() });
        expect(errValue(r).reason).toBe("aborted");
        await expectNoMarker(shell, marker);
      });
    });

    it("caps each output stream at maxOutputBytes and still lets the command finish", async () => {
      await withShell(async (shell) => {
        const r = await shell.run(["sh", "-c", "yes | head -n 200000; yes e | head -n 200000 >&2"], {
          maxOutputBytes: 1000,
          timeoutMs: 30_000,
        });
        const value = okValue(r);
        expect(value.exitCode).toBe(0);
        expect(value.truncated).toBe(true);
        expect(value.stdout).toBe("y\n".repeat(500));
        expect(value.stderr).toBe("e\n".repeat(500));
      });
    });

    it("does not mark output under the cap as truncated", async () => {
      await withShell(async (shell) => {
        const r = await shell.run(["echo", "short"], { maxOutputBytes: 100 });
        const value = okValue(r);
        expect(value.stdout).toBe("short\n");
        expect(value.truncated).toBe(false);
      });
    });

    it("still returns the output of a failing command run with outputOnlyOnFailure", async () => {
      await withShell(async (shell) => {
        const passed = okValue(await shell.run(["sh", "-c", "echo fine"], { outputOnlyOnFailure: true }));
        expect(passed.exitCode).toBe(0);
        const failed = okValue(
          await shell.run(["sh", "-c", "echo out; echo why >&2; exit 3"], { outputOnlyOnFailure: true }),
        );
        expect(failed).toMatchObject({ exitCode: 3, stdout: "out\n", stderr: "why\n" });
      });
    });

    it("returns a failure to start a missing program as an error or as exit 127, never as success", async () => {
      await withShell(async (shell) => {
        const r = await shell.run(["backflip-no-such-program-xyz"]);
        if (r.isOk()) expect(r.value.exitCode).toBe(127);
        else expect(r.error.reason).toBe("not_found");
      });
    });

    const badCalls: ReadonlyArray<readonly [string, unknown, unknown]> = [
      ["an empty argv", [], undefined],
      ["an empty program", [""], undefined],
      ["a non-array argv", "sh -c 'echo x'", undefined],
      ["a non-string argument", ["echo", 42], undefined],
      ["a NUL byte in an argument", ["echo", "a\0b"], undefined],
      ["a negative timeout", ["echo", "x"], { timeoutMs: -1 }],
      ["a non-integer output cap", ["echo", "x"], { maxOutputBytes: 1.5 }],
      ["a non-boolean outputOnlyOnFailure", ["echo", "x"], { outputOnlyOnFailure: "yes" }],
    ];
    for (const [what, argv, options] of badCalls) {
      it(`returns invalid_input for ${what}`, async () => {
        await withShell(async (shell) => {
          const result = await shell.run(argv as string[], options as undefined);
          expect(result.isErr()).toBe(true);
          expect(result._unsafeUnwrapErr().reason).toBe("invalid_input");
        });
      });
    }

    shellFilesTests(withShell);

    it("runs nothing for an invalid call", async () => {
      await withShell(async (shell) => {
        const marker = `/tmp/backflip-conformance-${process.pid}-${Math.random().toString(36).slice(2)}`;
        const write = ["sh", "-c", `echo ran > ${marker}`];
        const results = await Promise.all([
          shell.run([...write, "a\0b"]),
          shell.run(write, { timeoutMs: 0 }),
          shell.run(write, { signal: "not a signal" as unknown as AbortSignal }),
        ]);
        for (const result of results) expect(result._unsafeUnwrapErr().reason).toBe("invalid_input");
        await expectNoMarker(shell, marker);
      });
    });
  });
}

/** The error of a result that must be a failure. */
function errValue(result: Result<ShellResult, DriverError>): DriverError {
  return failure(result, (r) => `exit code ${r.exitCode}`);
}

/** Asserts that `marker` does not exist on the shell's side. */
async function expectNoMarker(shell: Shell, marker: string): Promise<void> {
  const check = await shell.run([
    "sh",
    "-c",
    `if [ -e ${marker} ]; then rm -f ${marker}; echo present; else echo absent; fi`,
  ]);
  expect(check._unsafeUnwrap().stdout).toBe("absent\n");
}
