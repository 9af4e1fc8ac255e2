import { err, ok, type Result } from "neverthrow";
import type { DriverError } from "../errors/driver-error";
import { invalidInput } from "../errors/invalid-input";

/** Words a shell reads as syntax in command position (POSIX sh, plus bash's). */
const RESERVED_WORDS = new Set([
  "case",
  "coproc",
  "do",
  "done",
  "elif",
  "else",
  "esac",
  "fi",
  "for",
  "function",
  "if",
  "in",
  "select",
  "then",
  "time",
  "until",
  "while",
]);

/**
 * Quotes one argument for a POSIX shell: `sh -c` of the result gives back exactly
 * `arg`, in any position (a bare `A=b` or `if` as the first word would be an assignment
 * or syntax, so those are quoted too). The one place Backflip quotes for a remote shell
 * (SSH exec takes a string). The argument must not contain a NUL byte (no shell can pass
 * one); use {@link quoteArgv} to have that checked.
 */
export function quoteForShell(arg: string): string {
  const plain = /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg);
  if (plain && !/^[A-Za-z_][A-Za-z0-9_]*=/.test(arg) && !RESERVED_WORDS.has(arg)) return arg;
  return `'${arg.replaceAll("'", `'\\''`)}'`;
}

/** Quotes a whole argv into one command line; `invalid_input` when an argument holds a NUL byte or argv is empty. */
export function quoteArgv(argv: readonly string[]): Result<string, DriverError> {
  if (!Array.isArray(argv) || argv.length === 0) {
    return err(invalidInput("shell", "quote", "argv is empty or not an array"));
  }
  const notString = argv.findIndex((a) => typeof a !== "string");
  if (notString >= 0) return err(invalidInput("shell", "quote", `argument ${notString} is not a string`));
  const bad = argv.findIndex((a) => a.includes("\0"));
  if (bad >= 0) return err(invalidInput("shell", "quote", `argument ${bad} contains a NUL byte`));
  return ok(argv.map(quoteForShell).join(" "));
}
