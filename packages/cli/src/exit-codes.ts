import type { DriverError, RunErrorKind, RunState } from "@backflip/core";

/** The CLI's exit codes: what a workflow or a script can branch on. */
export const EXIT = {
  /** The run succeeded, or a read-only command / dry run answered. */
  ok: 0,
  /** The run failed and its completed changes were undone (reverted or aborted): nothing is left changed. */
  failed: 1,
  /** Bad usage or invalid input: nothing was read or changed. */
  usage: 2,
  /** Refused by a pre-check (or by planning): nothing changed. The message says which path to use. */
  refused: 3,
  /** Another run holds the environment's lock (the message names the owner and whether it is stale). */
  locked: 4,
  /** The revert failed or an interrupted change's effect is unknown: act by hand. */
  revertFailed: 5,
  /** The run stopped unfinished (its journal could not be written): `resume` it. */
  interrupted: 6,
  /** The target could not be read or reached; nothing was changed. */
  unavailable: 7,
} as const;

/** One of {@link EXIT}'s values. */
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** The exit codes as `--help` and the README list them. */
export const EXIT_CODES_HELP = `Exit codes:
  0  succeeded (or a read-only command / dry run answered)
  1  the run failed and was reverted: nothing is left changed
  2  bad usage or invalid input: nothing was changed
  3  refused by a pre-check: nothing changed (the message names the path to use)
  4  the environment's lock is held by another run (owner and staleness shown)
  5  the revert failed: act by hand (the message says what is still applied)
  6  the run stopped unfinished (journal not written): resume it
  7  the target could not be read or reached: nothing was changed`;

/** The exit code for a run that did not succeed. */
export function exitForRunError(kind: RunErrorKind): ExitCode {
  switch (kind) {
    case "invalid_input":
    case "not_found":
      return EXIT.usage;
    case "needs_acknowledgement":
    case "refused":
      return EXIT.refused;
    case "lock_held":
      return EXIT.locked;
    case "reverted":
    case "aborted":
      return EXIT.failed;
    case "revert_failed":
      return EXIT.revertFailed;
    case "journal_failed":
      return EXIT.interrupted;
  }
}

/** The exit code for a run's final state (a finished run looked up again). */
export function exitForState(state: RunState): ExitCode {
  switch (state) {
    case "succeeded":
      return EXIT.ok;
    case "refused":
      return EXIT.refused;
    case "reverted":
    case "aborted":
      return EXIT.failed;
    case "revert_failed":
      return EXIT.revertFailed;
    default:
      return EXIT.interrupted;
  }
}

/** The exit code for a driver error before any run (reading the world, planning). */
export function exitForDriverError(error: DriverError): ExitCode {
  switch (error.reason) {
    case "invalid_input":
    case "unsupported":
      return EXIT.usage;
    case "unavailable":
    case "timeout":
    case "unauthorized":
    case "aborted":
      return EXIT.unavailable;
    default:
      return EXIT.refused;
  }
}
