import { userInfo } from "node:os";
import type { DriverError, RollbackPlan } from "@backflip/core";
import type { ResultAsync } from "neverthrow";
import type { z } from "zod";
import { type globalSchema, type OptionSpec, type RawArgs, validate } from "./cli-args";
import { type Coordination, openCoordination } from "./coordination";
import { cliOwner, executePlan } from "./execute-plan";
import { EXIT, type ExitCode, exitForDriverError } from "./exit-codes";
import { fail, failDriver, type Output } from "./output";
import { printPlan } from "./progress";
import { openTarget, type Target, type TargetOpeners } from "./target";

/** The global options once validated. */
export type Globals = z.output<typeof globalSchema>;

/** One subcommand: its options, its help, and what it does. */
export interface Command {
  readonly name: string;
  /** One line for the command list. */
  readonly summary: string;
  /** The full `--help` text: usage, options, examples. */
  readonly help: string;
  /** Its own options (the global ones are added). */
  readonly options: OptionSpec;
  /** How many positional arguments it takes. */
  readonly positionals: number;
  /** True for a command that must not read the config file (`init`, which writes it). */
  readonly ignoresConfig?: boolean;
  /** Validates the parsed arguments, then acts (opening targets through `session`); returns the exit code. */
  run(args: RawArgs, out: Output, session: Session): Promise<ExitCode>;
}

/** Validates with zod, or reports a usage error (exit 2) and returns `null`. */
export function validateOrFail<S extends z.ZodType>(
  out: Output,
  command: string,
  schema: S,
  values: unknown,
): z.output<S> | null {
  const parsed = validate(schema, values);
  if (parsed.isOk()) return parsed.value;
  fail(out, EXIT.usage, {
    message: parsed.error,
    hint: `see: ${out.program.name} ${command} --help`,
    reason: "usage",
  });
  return null;
}

/** The coordination store and the targets one command opened: `main` closes them when the command is done. */
export class Session {
  readonly #opened: Target[] = [];
  #coordination: Coordination | undefined;

  /**
   * `targets`: the target kinds an embedding CLI adds to the built-in ones (the example's `lab`);
   * `confirm`: asks the operator a yes/no question — only when there is one to ask (a terminal).
   */
  constructor(
    readonly targets: TargetOpeners = {},
    readonly confirm?: (question: string) => Promise<boolean>,
  ) {}

  /**
   * Opens the coordination store the global options name (once; `actor`, and `why` when
   * given, are recorded by a store that journals who broke a stale lease), or reports why
   * not and returns the exit code.
   */
  async coordination(
    globals: Globals & { actor?: string | undefined; why?: string | undefined },
    out: Output,
  ): Promise<Coordination | ExitCode> {
    if (this.#coordination) return this.#coordination;
    const opened = await openCoordination({
      kind: globals.coordination,
      stateDir: globals["state-dir"],
      etcdEndpoints: globals["etcd-endpoints"],
      prefix: globals["coordination-prefix"],
      actor: `${cliOwner(globals.actor ?? defaultActor(), out.program)}${globals.why ? `, because: ${globals.why}` : ""}`,
    });
    if (opened.isErr()) return failDriver(out, exitForDriverError(opened.error), opened.error);
    this.#coordination = opened.value;
    return opened.value;
  }

  /** Opens the target the global options name, with its coordination store, or reports why not and returns the exit code. */
  async open(globals: Globals & { actor?: string | undefined }, out: Output): Promise<Target | ExitCode> {
    const coordination = await this.coordination(globals, out);
    if (typeof coordination === "number") return coordination;
    const target = await openTarget(
      { kind: globals.target, env: globals.env, stateDir: globals["state-dir"], coordination },
      this.targets,
    );
    if (target.isErr()) return failDriver(out, exitForDriverError(target.error), target.error);
    this.#opened.push(target.value);
    return target.value;
  }

  /** Closes every target opened (a real target's connections), then the coordination store. */
  async close(): Promise<void> {
    await Promise.all(this.#opened.splice(0).map((t) => t.close()));
    await this.#coordination?.close();
    this.#coordination = undefined;
  }
}

/** Which command-line flag gives each recipe input field, e.g. `{ target: "--target-color" }`. */
export type FieldFlags = Readonly<Record<string, string>>;

/**
 * A recipe's refusal of its input, said in the command's words: each `field: message`
 * part of an `invalid_input` message whose field a flag gives is `--flag: message`
 * (exit 2, as for any bad usage); any other error is reported as it is.
 */
export function failPlanning(out: Output, error: DriverError, flags: FieldFlags): ExitCode {
  const parts = error.message.split("; ");
  const named = parts.map((part) => {
    const field = /^([A-Za-z][\w.]*): /.exec(part)?.[1];
    const flag = field === undefined ? undefined : flags[field.split(".")[0] ?? ""];
    return flag && field
      ? `${flag}${field.slice(field.split(".")[0]?.length ?? 0)}: ${part.slice(field.length + 2)}`
      : null;
  });
  if (error.reason !== "invalid_input" || named.some((n) => n === null))
    return failDriver(out, exitForDriverError(error), error);
  return fail(out, EXIT.usage, {
    message: named.join("; "),
    hint: `see: ${out.program.name} --help`,
    reason: "usage",
  });
}

/** Awaits a recipe's plan, or reports why it could not be planned and returns the exit code. */
async function planOrFail(
  out: Output,
  plan: ResultAsync<RollbackPlan, DriverError>,
  flags: FieldFlags,
): Promise<RollbackPlan | ExitCode> {
  const planned = await plan;
  if (planned.isErr()) return failPlanning(out, planned.error, flags);
  return planned.value;
}

/** Who acts when `--actor` is not given: `$BACKFLIP_ACTOR`, else the login name. */
export function defaultActor(): string {
  if (process.env.BACKFLIP_ACTOR) return process.env.BACKFLIP_ACTOR;
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? "unknown";
  }
}

/** The help text's shared part: the global options (kept with the top-level help, which loads no command). */
export { GLOBAL_HELP } from "./main-help";

/** The help text's part for commands that run a plan. */
export const RUN_HELP = `Run options:
  --actor NAME        who runs it (default $BACKFLIP_ACTOR or your login)
  --reason TEXT       why, one line (recorded in the history and journal)
  --metrics-file F    write the deploy metrics textfile F (atomically) after the run
  --lock-ttl SECONDS  the environment lock's time-to-live, renewed while running (default 60)`;

/** Who and why for a command that runs a plan: `--reason` is required unless it is only a dry run. */
function whoOrFail(
  out: Output,
  args: { actor?: string | undefined; reason?: string | undefined },
  dryRun: boolean,
): { actor: string; reason: string } | ExitCode {
  const reason = args.reason ?? (dryRun ? "dry run" : undefined);
  if (!reason)
    return fail(out, EXIT.usage, {
      message: "--reason is required: say why (it goes into the history and the journal)",
      reason: "usage",
    });
  return { actor: args.actor ?? defaultActor(), reason };
}

/** Shows a destructive command's plan, says nothing was changed and how to run it. */
export function dryRunOnly(out: Output, plan: RollbackPlan, confirm: string): ExitCode {
  printPlan(plan, out.text);
  out.object({ type: "plan", plan: plan.describe() });
  out.text(`nothing was changed: this command is destructive; re-run with ${confirm} to do it.`);
  out.object({ type: "dry-run", confirm });
  return EXIT.ok;
}

/** The options every command that runs a plan shares. */
export type RunArgs = Globals & {
  readonly actor?: string | undefined;
  readonly reason?: string | undefined;
  readonly "metrics-file"?: string | undefined;
  readonly "lock-ttl"?: number | undefined;
};

/** A command's plan, with who asked for it and the target it runs on. */
export interface Planned {
  readonly who: { actor: string; reason: string };
  readonly target: Target;
  readonly plan: RollbackPlan;
}

/**
 * The start every plan-running command shares: who and why, the target, then the recipe's
 * plan — or the exit code of the first of them that failed (already reported on `out`;
 * the recipe's input fields named by the flags `flags` maps them to).
 */
export async function planOnTarget(
  out: Output,
  session: Session,
  args: RunArgs,
  dryRun: boolean,
  build: (target: Target, who: Planned["who"]) => ResultAsync<RollbackPlan, DriverError>,
  flags: FieldFlags = {},
): Promise<Planned | ExitCode> {
  const who = whoOrFail(out, args, dryRun);
  if (typeof who === "number") return who;
  const target = await session.open(args, out);
  if (typeof target === "number") return target;
  const plan = await planOrFail(out, build(target, who), flags);
  if (typeof plan === "number") return plan;
  return { who, target, plan };
}

/** Runs a planned command with the run options its arguments give. */
export function runPlanned(
  out: Output,
  { who, target, plan }: Planned,
  args: RunArgs,
  extra: { acknowledgeDataLoss?: boolean } = {},
): Promise<ExitCode> {
  return executePlan(target, plan, out, {
    actor: who.actor,
    metricsFile: args["metrics-file"],
    lockTtlS: args["lock-ttl"],
    ...extra,
  });
}
