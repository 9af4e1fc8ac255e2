import type { DriverError } from "@backflip/core";
import { invalidInput } from "@backflip/core/driver-kit";
import { err, ok, type Result } from "neverthrow";

const PART = /^[A-Za-z0-9-]*$/;

/**
 * Compiles an instance-name pattern into a matcher: `*` matches any run of characters,
 * `{a,b}` any one of the alternatives (not nested), everything else itself. So
 * `veza-staging-{backend,stream,web}-blue` matches exactly the three containers the
 * runbook's fast-flip pre-check lists. Anything else is `invalid_input`.
 */
export function compileNamePattern(
  driver: string,
  pattern: string,
): Result<(name: string) => boolean, DriverError> {
  const bad = (why: string) =>
    err(
      invalidInput(
        driver,
        "list",
        `pattern ${JSON.stringify(pattern)}: ${why}`,
        "use letters, digits, '-', '*' and one-level {a,b} alternatives, e.g. veza-staging-{backend,stream,web}-blue",
      ),
    );
  if (pattern === "") return bad("is empty");
  let source = "";
  let i = 0;
  while (i < pattern.length) {
    const c = pattern.charAt(i);
    if (c === "*") {
      source += "[A-Za-z0-9-]*";
      i++;
    } else if (c === "{") {
      const close = pattern.indexOf("}", i);
      if (close < 0) return bad("has a '{' without its '}'");
      const alternatives = pattern.slice(i + 1, close).split(",");
      if (alternatives.some((a) => !PART.test(a)))
        return bad("an alternative holds a character other than letters, digits or '-'");
      source += `(?:${alternatives.join("|")})`;
      i = close + 1;
    } else if (/[A-Za-z0-9-]/.test(c)) {
      source += c;
      i++;
    } else {
      return bad(`character ${JSON.stringify(c)} is not allowed`);
    }
  }
  const regex = new RegExp(`^${source}$`);
  return ok((name: string) => regex.test(name));
}
