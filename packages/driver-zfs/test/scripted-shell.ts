import type { DriverError, Shell, ShellResult } from "@backflip/core";
import { driverError } from "@backflip/core";
import { errAsync, okAsync, type ResultAsync } from "neverthrow";

/** One scripted answer: what the command printed and how it exited. */
export interface Answer {
  readonly stdout?: string;
  readonly stderr?: string;
  readonly exitCode?: number;
}

/**
 * A test-only {@link Shell} that records every argv and answers from a script keyed
 * by the zfs subcommand and its last argument, so parsing is tested on fixture text.
 */
export class ScriptedShell implements Shell {
  readonly name = "scripted";
  readonly calls: string[][] = [];
  readonly #answer: (argv: readonly string[]) => Answer | undefined;

  constructor(answer: (argv: readonly string[]) => Answer | undefined) {
    this.#answer = answer;
  }

  run(argv: readonly string[]): ResultAsync<ShellResult, DriverError> {
    this.calls.push([...argv]);
    const a = this.#answer(argv);
    if (a === undefined) {
      return errAsync(
        driverError({
          driver: "scripted",
          op: "run",
          reason: "failed",
          message: `unscripted: ${argv.join(" ")}`,
        }),
      );
    }
    return okAsync({
      exitCode: a.exitCode ?? 0,
      signal: null,
      stdout: a.stdout ?? "",
      stderr: a.stderr ?? "",
      truncated: false,
      durationMs: 1,
    });
  }
}
