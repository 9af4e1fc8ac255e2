import { existsSync } from "node:fs";
import fc from "fast-check";

/**
 * Hostile strings for the property tests over the public surface (issue 17), the kinds
 * of field they are pushed through, and what an accepted value of each kind must look
 * like to be inert.
 */

/** What a field holds, which decides what an accepted value may contain. */
export type FieldKind =
  /** A name (actor, env, color, container, snapshot, role…): portable characters only. */
  | "name"
  /** A file path: absolute, one line, no `..` segment (shell metacharacters are quoted where it is used). */
  | "path"
  /**
   * A local file the operator names (a SQL file, a metrics file, a state directory): any
   * path they could type, `..` included, but one printable line.
   */
  | "file"
  /** A URL path (`/api/v1/health`): absolute, no blanks (it is one token of a config line), no `..`. */
  | "url-path"
  /** Free text (a reason, a trigger): one line without control or bidi characters, carried as is. */
  | "text"
  /** An http(s) URL: no blanks, no control characters, no credentials. */
  | "url"
  /** Comma-separated http(s) URLs (`--etcd-endpoints`): each one a `url`. */
  | "url-list"
  /** A name pattern with `{placeholders}`: once filled, a name. */
  | "name-pattern"
  /** A pattern of `/`-separated names (a ZFS dataset, a git ref): each segment a name. */
  | "segments"
  /** A `host:port` address, a host name, or a socket directory (an absolute path). */
  | "address"
  /** A program or argv element: one word, no control characters, not an option. */
  | "program"
  /** A secret (token, password, key): anything, but never echoed in a message. */
  | "secret"
  /** Content carried verbatim to its backend (SQL text, a template, PEM, known_hosts): anything, never run by a shell. */
  | "payload";

/** What every string property test shares: the directory absolute paths point into and the marker payloads create. */
export interface HostileEnv {
  /** A directory of the test's own: every absolute path generated lies under it (a test may run as root). */
  readonly root: string;
  /** The file a payload would create if a shell ever ran it (absolute, in `/tmp`). */
  readonly marker: string;
}

/** A fresh marker path for one test file: `/tmp/pwn-<random>`. */
export function markerPath(): string {
  return `/tmp/pwn-${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
}

/** True when a payload's marker file exists (a shell ran a hostile value). */
export function markerExists(env: HostileEnv): boolean {
  return existsSync(env.marker) || existsSync(`${env.root}/pwn`);
}

/** C0 controls (NUL, newline, CR, ESC, …), DEL and C1 controls. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/u;
/** Bidi embeddings, overrides and isolates (U+202A–E, U+2066–9) and the line/paragraph separators (U+2028/9). */
const BIDI_OR_SEPARATOR = /[\u202a-\u202e\u2066-\u2069\u2028\u2029]/u;

/** True when `s` holds a character a terminal or a line-based file would act on. */
export function hasUnsafeCharacter(s: string): boolean {
  return CONTROL.test(s) || BIDI_OR_SEPARATOR.test(s);
}

/** Every character a printed line must not hold raw (a newline between lines is the writer's own). */
export function hasRawTerminalControl(line: string): boolean {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
  return /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/u.test(line) || BIDI_OR_SEPARATOR.test(line);
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._@+:-]{0,254}$/;
const isName = (s: string) => NAME.test(s) && s !== "." && s !== "..";

/**
 * True when `value`, accepted for a field of `kind`, is inert: it cannot leave its place
 * (a name its segment, a path its line), start an option, or reorder what is printed.
 */
export function acceptableAs(kind: FieldKind, value: string): boolean {
  switch (kind) {
    case "name":
      return isName(value);
    case "path":
      return (
        value.startsWith("/") &&
        value.length <= 4096 &&
        !hasUnsafeCharacter(value) &&
        !value.split("/").includes("..")
      );
    case "file":
      return value.length > 0 && !hasUnsafeCharacter(value);
    case "url-path":
      return acceptableAs("path", value) && !/\s/u.test(value);
    case "text":
      return !hasUnsafeCharacter(value);
    case "url":
      return /^https?:\/\/[^\s@]+$/u.test(value) && !hasUnsafeCharacter(value);
    case "url-list":
      return value.split(",").every((u) => acceptableAs("url", u.trim()));
    case "name-pattern":
      return isName(value.replace(/\{\w+\}/g, "x"));
    case "segments":
      return value
        .replace(/\{\w+\}/g, "x")
        .split("/")
        .every(isName);
    case "address":
      return (
        (value.startsWith("/") && acceptableAs("path", value)) ||
        /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9][A-Za-z0-9.-]*)(:[0-9]{1,5})?$/.test(value)
      );
    case "program":
      return value.length > 0 && !value.startsWith("-") && !/\s/u.test(value) && !hasUnsafeCharacter(value);
    case "secret":
    case "payload":
      return true;
  }
}

/** Fixed payloads: command substitution, chaining, quote breaking — each would create the marker. */
function payloads(env: HostileEnv): string[] {
  const touch = `touch ${env.marker}`;
  return [
    `$(${touch})`,
    `\`${touch}\``,
    `; ${touch}`,
    `| ${touch}`,
    `&& ${touch}`,
    `\n${touch}\n`,
    `'; ${touch}; '`,
    `"; ${touch}; "`,
    `x'$(${touch})'`,
    `x"$(${touch})"`,
    `$'\\x41'; ${touch}`,
    `\${IFS}${touch}`,
    `-o ProxyCommand=${touch}`,
    `--exec=${touch}`,
  ];
}

/** Every fixed hostile value (payloads and classics): what each field is tried with first. */
export function hostileExamples(env: HostileEnv): string[] {
  return [...payloads(env), ...classics(env)];
}

/** The classic hostile values, each in its own class. */
function classics(env: HostileEnv): string[] {
  if (!env.root) throw new Error("hostile absolute paths need a sandbox root: build them inside a test");
  return [
    "",
    " ",
    "../",
    "..",
    "../../x",
    "a/../../b",
    `${env.root}/victim`,
    `${env.root}/a/../../b`,
    `${env.root}/x\ny`,
    "-x",
    "--x=y",
    "--help",
    "-",
    "x".repeat(10_000),
    `/${"a".repeat(10_000)}`,
    "\0",
    "a\0b",
    "\u001b[31mred\u001b[0m",
    "\u001b]0;title\u0007",
    "\r",
    "a\u0085b",
    "\u009b31m",
    "\u202eevil",
    "a\u2066b\u2069",
    "line\u2028two",
    "para\u2029two",
    "bl\u0430ck", // Cyrillic a
    "gr\u0435en", // Cyrillic e
    "\uff42lue", // fullwidth b
    "a\u200bb", // zero-width space
    "a\u2215b", // division slash
    "a\u2044b", // fraction slash
    "*",
    "~",
    "{component}",
    "%s%n",
    "a b",
    "a\tb",
  ];
}

/** Characters one of which, inserted into a valid value, makes it hostile. */
const HOSTILE_CHARS = [
  ..." ;|&$`'\"\\<>()*?[]{}!#~=%,\t\n\r\0\u0007\u001b\u007f\u0085\u009b",
  "\u202a",
  "\u202b",
  "\u202c",
  "\u202d",
  "\u202e",
  "\u2066",
  "\u2067",
  "\u2068",
  "\u2069",
  "\u2028",
  "\u2029",
  "\u200b",
  "\u0430",
  "/",
  ".",
];

/** A hostile string from any class (payloads, classics, or a random run of hostile characters). */
export function hostileString(env: HostileEnv): fc.Arbitrary<string> {
  return fc.oneof(
    fc.constantFrom(...payloads(env)),
    fc.constantFrom(...classics(env)),
    fc.string({ unit: fc.constantFrom(...HOSTILE_CHARS), minLength: 1, maxLength: 8 }),
  );
}

/** `valid` with one hostile character inserted, a traversal appended or an option prefix: valid-looking. */
export function nearlyValid(valid: string): fc.Arbitrary<string> {
  return fc.oneof(
    fc
      .tuple(fc.nat({ max: valid.length }), fc.constantFrom(...HOSTILE_CHARS))
      .map(([i, c]) => `${valid.slice(0, i)}${c}${valid.slice(i)}`),
    fc.constantFrom(`${valid}/../../x`, `-${valid}`, `--${valid}=x`, `${valid}\n`, `${valid}\u202e`),
  );
}

/** A hostile value for a field whose valid value is `valid`: any class, or `valid` made hostile. */
export function hostileFor(valid: string, env: HostileEnv): fc.Arbitrary<string> {
  return fc.oneof(hostileString(env), nearlyValid(valid));
}

/**
 * The property runs' shared settings: every example first (fast-check counts them in
 * `numRuns`), then `randomRuns` generated values; a fixed seed (printed on failure,
 * overridden by `BACKFLIP_PROPERTY_SEED`).
 */
export function propertyParams(
  randomRuns: number,
  examples: readonly string[] = [],
): fc.Parameters<[string]> {
  return {
    numRuns: examples.length + randomRuns,
    examples: examples.map((v) => [v] as [string]),
    seed: Number(process.env.BACKFLIP_PROPERTY_SEED ?? 0x17),
    verbose: 1,
  };
}
