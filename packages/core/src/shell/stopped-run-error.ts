import { type DriverError, driverError } from "../errors/driver-error";

/** What {@link stoppedRunError} says about a run the shell cut short. */
export interface StoppedRun {
  /** Why it was cut short: its `timeoutMs` passed, or its signal fired. */
  readonly why: "timeout" | "aborted";
  /** `argv[0]`. */
  readonly program: string;
  /** The shell's name, e.g. `local` or `incus:veza-staging-blue-backend`. */
  readonly shellName: string;
  /** The run's timeout, for a `timeout`. */
  readonly timeoutMs: number | undefined;
  readonly durationMs: number;
  /** How the command was ended, e.g. "its process group was killed". */
  readonly ended: string;
  /** The hint of a `timeout`: what to check, then "raise timeoutMs". */
  readonly timeoutHint: string;
}

/** The `timeout` or `aborted` error of a Shell.run that was cut short, naming how it was ended. */
export function stoppedRunError(driver: string, run: StoppedRun): DriverError {
  const { program, shellName, durationMs } = run;
  return run.why === "timeout"
    ? driverError({
        driver,
        op: "run",
        reason: "timeout",
        message: `\`${program}\` on ${shellName} did not finish within ${run.timeoutMs} ms; ${run.ended}`,
        hint: run.timeoutHint,
        details: { program, timeoutMs: run.timeoutMs, durationMs },
      })
    : driverError({
        driver,
        op: "run",
        reason: "aborted",
        message: `\`${program}\` on ${shellName} was aborted; ${run.ended}`,
        details: { program, durationMs },
      });
}
