import { flagNotIn, type RawArgs } from "../cli-args";
import type { Command, Session } from "../command";
import { EXIT, type ExitCode } from "../exit-codes";
import { fail, type Output } from "../output";
import { inverseSqlCommand } from "./inverse-sql";
import { pushArtifactCommand } from "./push-artifact";
import { restoreSnapshotCommand } from "./restore-snapshot";

/** Path 3's actions, by the name `rollback --mode emergency --action` takes: each is also a command of its own. */
const ACTIONS: Readonly<Record<string, Command>> = {
  "push-artifact": pushArtifactCommand,
  "inverse-sql": inverseSqlCommand,
  "restore-snapshot": restoreSnapshotCommand,
};

const ACTION_NAMES = Object.keys(ACTIONS).join(", ");

/** The options `rollback --mode emergency` takes: `--action`, and every Path 3 action's own, passed on to it. */
export const EMERGENCY_OPTIONS = {
  action: { type: "string" },
  ...pushArtifactCommand.options,
  ...inverseSqlCommand.options,
  ...restoreSnapshotCommand.options,
} as const;

/** `--mode emergency`'s lines of the rollback and plan help. */
export const EMERGENCY_HELP = `  --mode emergency    Path 3 (ad hoc: the registry purged, a migration poisoned the
                      schema, the host broken), one action of it per run:
  --action A          ${ACTION_NAMES},
                      with that action's own options (%prog <A> --help);
                      %prog decide says which applies`;

/**
 * `rollback` (or `plan`) `--mode emergency --action A`: runs Path 3's action `A` as its own
 * command would, with the options given (a flag that `A` does not take is a usage error
 * naming it). `plan` shows the action's dry run only.
 */
export function runEmergency(
  name: "rollback" | "plan",
  raw: RawArgs,
  out: Output,
  session: Session,
): Promise<ExitCode> {
  const usage = (message: string, hint: string) =>
    Promise.resolve(fail(out, EXIT.usage, { message, hint, reason: "usage" }));
  const { mode: _mode, action, ...values } = raw.values;
  const command = typeof action === "string" && Object.hasOwn(ACTIONS, action) ? ACTIONS[action] : undefined;
  if (!command)
    return usage(
      action === undefined
        ? "--action: required with --mode emergency"
        : `--action: expected one of ${ACTION_NAMES}, not "${String(action)}"`,
      `Path 3 is one action at a time: ${ACTION_NAMES} (${out.program.name} decide says which applies)`,
    );
  const foreign = flagNotIn(values, command.options);
  if (foreign)
    return usage(
      `--${foreign}: not an option of --mode emergency --action ${command.name}`,
      `see: ${out.program.name} ${command.name} --help`,
    );
  if (name === "plan") {
    // The dry run: push-artifact and inverse-sql take --dry-run; restore-snapshot is one without --yes.
    if ("dry-run" in command.options) values["dry-run"] = true;
    delete values.yes;
  }
  return command.run({ values, positionals: raw.positionals }, out, session);
}
