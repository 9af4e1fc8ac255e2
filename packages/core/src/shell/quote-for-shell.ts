import { err, ok, type Result } from "neverthrow";
import type { DriverError } from "../errors/driver-error";
import { invalidInput } from "../errors/invalid-input";

/**
 * Quotes one argument for a POSIX shell: `sh -c` of the result gives back exactly
 * `arg`. The one place Backflip quotes for a remote shell (SSH exec takes a string).
 * The argument must not contain a NUL byte (no shell can pass one); use {@link quoteArgv}
 * to have that checked.
 */
export function quoteForShell(arg: string): string {
  if (arg !== "" && /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg)) return arg;
  return `'${arg.replaceAll("'", `'\\''`)}'`;
}

/** Quotes a whole argv into one command line; `invalid_input` when an argument holds a NUL byte or argv is empty. */
export function quoteArgv(argv: readonly string[]): Result<string, DriverError> {
  if (argv.length === 0) return err(invalidInput("shell", "quote", "argv is empty"));
  const bad = argv.findIndex((a) => a.includes("\0"));
  if (bad >= 0) return err(invalidInput("shell", "quote", `argument ${bad} contains a NUL byte`));
  return ok(argv.map(quoteForShell).join(" "));
}
