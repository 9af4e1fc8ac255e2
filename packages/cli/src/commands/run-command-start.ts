import type { z } from "zod";
import type { RawArgs } from "../cli-args";
import { type Globals, type Session, validateOrFail } from "../command";
import type { Coordination } from "../coordination";
import { EXIT, type ExitCode } from "../exit-codes";
import { fail, type Output } from "../output";

/** A command on one journaled run: its validated arguments and the coordination store whose journal holds the run. */
export interface RunCommandStart<T> {
  readonly args: T;
  readonly store: Coordination;
}

/**
 * The start of a command on one journaled run (`postmortem`, `resume`): validates its
 * arguments with `schema` (the run id is the first positional, `<run-id>`) and opens the
 * coordination store whose journal holds the run — from any machine that sees it — or
 * reports why not and returns the exit code.
 */
export async function startRunCommand<
  T extends Globals & { readonly "<run-id>": string; readonly actor?: string | undefined },
>(
  command: string,
  schema: z.ZodType<T>,
  raw: RawArgs,
  out: Output,
  session: Session,
): Promise<RunCommandStart<T> | ExitCode> {
  const args = validateOrFail(out, command, schema, { ...raw.values, "<run-id>": raw.positionals[0] ?? "" });
  if (!args) return EXIT.usage;
  const store = await session.coordination(args, out);
  return typeof store === "number" ? store : { args, store };
}

/**
 * Refuses (exit 2) an `--env` that contradicts the environment the run's journal names, with
 * the two ways out; `undefined` when they agree or either is unknown.
 */
export function refuseOtherEnv(
  out: Output,
  runId: string,
  given: string | undefined,
  recorded: string | undefined,
): ExitCode | undefined {
  if (!given || !recorded || given === recorded) return undefined;
  return fail(out, EXIT.usage, {
    message: `run ${runId} is on env ${recorded}, not ${given}`,
    hint: `leave --env out (the run's journal names its environment) or pass --env ${recorded}`,
    reason: "usage",
  });
}
