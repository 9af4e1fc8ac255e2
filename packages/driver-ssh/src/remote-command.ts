import type { DriverError } from "@backflip/core";
import { quoteArgv } from "@backflip/core/driver-kit";
import { err, ok, type Result } from "neverthrow";
import { PID_MARKER_COMMAND } from "./pid-marker";
import { sshError } from "./ssh-error";

/** What the remote shell prints (stderr) and exits with when `cwd` does not exist. */
export const MISSING_CWD_MARKER = "backflip-ssh: working directory not found";
/** The exit code that goes with {@link MISSING_CWD_MARKER}. */
export const MISSING_CWD_EXIT = 127;

/**
 * The one command line sent over SSH for an argv: every word quoted by core's
 * `quoteArgv`, prefixed by `cd` and `env` when asked, and by a line that reports the
 * shell's pid on stderr (so a timeout can kill the process group; see `PidMarker`).
 * The command replaces the shell (`exec`), keeping that pid. The remote login shell
 * must be POSIX (sh, bash, dash, ash).
 */
export function remoteCommand(
  argv: readonly string[],
  options: { cwd?: string; env?: Readonly<Record<string, string>> },
): Result<string, DriverError> {
  const env = Object.entries(options.env ?? {});
  const badName = env.find(([name]) => !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name));
  if (badName !== undefined) {
    return err(
      sshError(
        "run",
        "invalid_input",
        `environment variable name ${JSON.stringify(badName[0])} cannot be set over SSH`,
        {
          hint: "use names of letters, digits and '_' not starting with a digit",
        },
      ),
    );
  }
  const words = env.length === 0 ? argv : ["env", ...env.map(([k, v]) => `${k}=${v}`), ...argv];
  return quoteArgv(words).andThen((command) => {
    if (options.cwd === undefined) return ok(`${PID_MARKER_COMMAND}; exec ${command}`);
    return quoteArgv([options.cwd]).map(
      (dir) =>
        `${PID_MARKER_COMMAND}; { cd -- ${dir} 2>/dev/null || { echo '${MISSING_CWD_MARKER}' >&2; exit ${MISSING_CWD_EXIT}; }; } && exec ${command}`,
    );
  });
}
