import { err, errAsync, ok, type ResultAsync } from "neverthrow";
import * as z from "zod";
import { type DriverError, driverError } from "../errors/driver-error";
import type { Shell, ShellResult, ShellRunOptions } from "../ports/shell";
import { lazySchema } from "../validate/lazy-schema";
import { parseInput } from "../validate/parse-input";

/** Options of {@link runChecked}: the shell's own, plus how to name a failure. */
export interface RunCheckedOptions extends ShellRunOptions {
  /** The `driver` of a `failed` error (default: the shell's name). */
  readonly driver?: string;
  /** The `op` of a `failed` error (default `run`). */
  readonly op?: string;
  /** How the message names the command (default `argv[0]`). Never put a secret in it. */
  readonly label?: string;
  /** The runbook's next move, set as the `failed` error's hint. */
  readonly hint?: string;
  /** Exit codes that count as success (default `[0]`). */
  readonly okExitCodes?: readonly number[];
}

const checkedSchema = lazySchema(() =>
  z.object({
    driver: z.string().min(1).optional(),
    op: z.string().min(1).optional(),
    label: z.string().min(1).optional(),
    hint: z.string().min(1).optional(),
    okExitCodes: z.array(z.number().int().min(0).max(255)).min(1).optional(),
  }),
);

/** How much of the output a `failed` message carries. */
const EXCERPT_CHARS = 2000;

/**
 * Runs `argv` on `shell` and maps an exit outside `okExitCodes` (or an end on a signal)
 * to a `failed` {@link DriverError} whose message carries the end of stderr (or of
 * stdout when stderr is empty) and whose details carry `exitCode`. Errors of the shell
 * itself (`timeout`, `aborted`, `not_found`, `invalid_input`, …) pass through unchanged.
 */
export function runChecked(
  shell: Shell,
  argv: readonly string[],
  options: RunCheckedOptions = {},
): ResultAsync<ShellResult, DriverError> {
  const checked = parseInput(checkedSchema, options, { driver: shell.name, op: "runChecked" });
  if (checked.isErr()) return errAsync(checked.error);
  const { driver, op, label, hint, okExitCodes, ...runOptions } = options;
  const accepted = okExitCodes ?? [0];
  return shell.run(argv, runOptions).andThen((result) => {
    if (result.exitCode !== null && accepted.includes(result.exitCode)) return ok(result);
    const what = label ?? String(argv[0]);
    const ending =
      result.exitCode === null
        ? `ended on signal ${result.signal ?? "unknown"}`
        : `exited with code ${result.exitCode}`;
    return err(
      driverError({
        driver: driver ?? shell.name,
        op: op ?? "run",
        reason: "failed",
        message: `\`${what}\` on ${shell.name} ${ending}: ${excerpt(result)}`,
        ...(hint === undefined ? {} : { hint }),
        details: { exitCode: result.exitCode, signal: result.signal, shell: shell.name },
      }),
    );
  });
}

/** The end of stderr, else of stdout, trimmed to {@link EXCERPT_CHARS}. */
function excerpt(result: ShellResult): string {
  const stderr = result.stderr.trim();
  const text = stderr !== "" ? stderr : result.stdout.trim();
  if (text === "") return "(no output)";
  const from = stderr !== "" ? "" : "(stdout) ";
  return text.length > EXCERPT_CHARS ? `${from}…${text.slice(-EXCERPT_CHARS)}` : `${from}${text}`;
}
