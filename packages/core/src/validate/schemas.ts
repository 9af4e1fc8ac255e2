import * as z from "zod";
import { lazySchema } from "./lazy-schema";

/** A full 40-hex git SHA, lower case. */
export const shaSchema = lazySchema(() =>
  z
    .string()
    .regex(
      /^[0-9a-f]{40}$/,
      "expected a 40-character lower-case hex SHA (resolve short SHAs against the history first)",
    ),
);

/** A short or full hex SHA (7–40), only for lookups resolved against history. */
export const shortShaSchema = lazySchema(() =>
  z.string().regex(/^[0-9a-f]{7,40}$/, "expected 7 to 40 lower-case hex characters"),
);

/** An environment name like `staging`, `prod`, `lab`. */
export const envNameSchema = lazySchema(() =>
  z
    .string()
    .regex(
      /^[a-z][a-z0-9-]{0,30}$/,
      "expected a lower-case name: letters, digits and '-', starting with a letter",
    ),
);

/** A color or component name: lower-case letters, digits, '-'. */
export const simpleNameSchema = lazySchema(() =>
  z
    .string()
    .regex(
      /^[a-z][a-z0-9-]{0,30}$/,
      "expected a lower-case name: letters, digits and '-', starting with a letter",
    ),
);

/** Who acts (a plan intent's actor, a history line's, the CLI's `--actor`): a login-like name such as `alice` or `alice@host`. */
export const actorNameSchema = lazySchema(() =>
  z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}$/, "expected a name like alice or alice@host (no spaces)"),
);

/** A plan's recipe path (`fast-flip`, `custom`, a registered recipe's): letters, digits, '.', '_', ':' or '-', at most 100. */
export const recipePathSchema = lazySchema(() =>
  z
    .string()
    .regex(
      /^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$/,
      "expected a recipe path like fast-flip: letters, digits, '.', '_', ':' or '-' (at most 100)",
    ),
);

/** An instance name Incus accepts: 1–63 of letters, digits, '-', not starting with a digit or '-', not ending with '-'. */
export const instanceNameSchema = lazySchema(() =>
  z
    .string()
    .regex(
      /^[a-zA-Z](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$/,
      "expected 1-63 letters, digits or '-', starting with a letter and not ending with '-'",
    ),
);

/**
 * The characters no name, path or operator text may hold, because they change how the
 * text is split or read rather than what it says: C0 and C1 controls, DEL and NUL
 * (`\p{Cc}`: a newline ends a config line, ESC drives a terminal), the bidi embeddings,
 * overrides and isolates U+202A–U+202E and U+2066–U+2069 (they reorder what a reader
 * sees), and the line and paragraph separators U+2028/U+2029 (a line break to some
 * readers), and lone UTF-16 surrogates (`\p{Cs}`: not text at all). No `g` flag:
 * `new RegExp(UNSAFE_CHARS.source, "gu")` to replace them.
 */
export const UNSAFE_CHARS = /[\p{Cc}\p{Cs}\u2028\u2029\u202A-\u202E\u2066-\u2069]/u;

/** True when `text` has a character of {@link UNSAFE_CHARS}. */
export function hasUnsafeChars(text: string): boolean {
  return UNSAFE_CHARS.test(text);
}

const SAFE_TEXT_MESSAGE =
  "one line of printable text: no control characters, bidi overrides or isolates, or line separators";

/**
 * Operator text carried as an inert value (a reason, a trigger, an actor shown in a history
 * line): 1 to `max` characters on one line, nothing of {@link UNSAFE_CHARS}.
 */
export function freeTextSchema(max: number) {
  return z
    .string()
    .min(1, "expected some text")
    .max(max, `expected at most ${max} characters`)
    .refine((s) => !hasUnsafeChars(s), SAFE_TEXT_MESSAGE);
}

/** The longest path accepted (Linux's `PATH_MAX`). */
const MAX_PATH = 4096;

/**
 * An absolute, normalised path: starts with `/`, no empty, `.` or `..` segment (so no
 * `//` and no trailing `/`, except `/` itself), nothing of {@link UNSAFE_CHARS} (no NUL,
 * no newline that would add a line to a rendered config), no `;` (a command separator of
 * HAProxy's runtime API and of shells), at most 4096 characters. A value that passes is
 * the file it names and can only be one line and one argument wherever it is written.
 */
export const absolutePathSchema = lazySchema(() =>
  z
    .string()
    .max(MAX_PATH, `expected at most ${MAX_PATH} characters`)
    .refine((p) => p.startsWith("/"), "expected an absolute path")
    .refine(
      (p) => !hasUnsafeChars(p),
      "path contains a control, bidi or line-separator character (or a NUL byte)",
    )
    .refine((p) => !p.includes(";"), "path contains ';'")
    .refine((p) => !p.split("/").includes(".."), "path contains a '..' segment")
    .refine(
      (p) =>
        p === "/" ||
        p
          .slice(1)
          .split("/")
          .every((s) => s !== "" && s !== "." && s !== ".."),
      "expected a normalised path: no '//', '.' segment or trailing '/'",
    ),
);

/**
 * One file name (a single path segment) of portable characters — letters, digits, `_`,
 * `.`, `+`, `-` — not starting with `-`, not `.` or `..`, at most 255 characters: it
 * cannot leave the directory it is joined to, nor read as an option where it is an argument.
 */
export const fileNameSchema = lazySchema(() =>
  z
    .string()
    .regex(
      /^[A-Za-z0-9_.+][A-Za-z0-9_.+-]{0,254}$/,
      "expected a file name of letters, digits, '_', '.', '+' or '-' (not starting with '-')",
    )
    .refine((n) => n !== "." && n !== "..", "expected a file name, not '.' or '..'"),
);

/**
 * A git ref a workflow runs at (`main`, `refs/heads/release-1.2`), the part of
 * `git check-ref-format` that matters here: `/`-separated segments, each a letter or digit
 * then letters, digits, `.`, `_` or `-` (no blank, control character, `~^:?*[\`, leading
 * `-` or empty segment); no `..`; no segment ending in `.` or `.lock`; at most 255 characters.
 */
export const gitRefSchema = lazySchema(() =>
  z
    .string()
    .max(255, "expected at most 255 characters")
    .regex(
      /^[A-Za-z0-9][A-Za-z0-9._-]*(?:\/[A-Za-z0-9][A-Za-z0-9._-]*)*$/,
      "expected a git ref like main or refs/heads/main: '/'-separated names of letters, digits, '.', '_' or '-'",
    )
    .refine((r) => !r.includes(".."), "a git ref has no '..'")
    .refine(
      (r) => r.split("/").every((s) => !s.endsWith(".") && !s.endsWith(".lock")),
      "no segment of a git ref ends in '.' or '.lock'",
    ),
);

/** A ZFS dataset name like `rpool/incus/containers/veza-staging-postgres` (no `.` or `..` component). */
export const datasetNameSchema = lazySchema(() =>
  z
    .string()
    .regex(
      /^[A-Za-z0-9][A-Za-z0-9_.:-]*(?:\/[A-Za-z0-9_.:-]+)*$/,
      "expected a ZFS dataset name like pool/a/b",
    )
    .refine((d) => d.split("/").every((s) => s !== "." && s !== ".."), "expected no '.' or '..' component"),
);

/** A ZFS snapshot name (the part after `@`). */
export const snapshotNameSchema = lazySchema(() =>
  z
    .string()
    .regex(
      /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,200}$/,
      "expected a snapshot name of letters, digits, '_', '.', ':' or '-'",
    ),
);

/**
 * A program to run as argv[0] (`haproxy`, `/usr/sbin/nginx`): a bare name of letters,
 * digits, `_`, `.`, `+` or `-` starting with a letter, digit or `_` (never read as an option), or an
 * absolute path of {@link absolutePathSchema} without blanks.
 */
export const commandNameSchema = lazySchema(() =>
  z
    .string()
    .refine(
      (c) =>
        /^[A-Za-z0-9_][A-Za-z0-9_.+-]{0,254}$/.test(c) ||
        (absolutePathSchema.safeParse(c).success && !/\s/u.test(c)),
      "expected a program: a bare name of letters, digits, '_', '.', '+' or '-' (starting with a letter, digit or '_'), or an absolute path without blanks",
    ),
);

/**
 * A base URL of an HTTP API: `http://` or `https://`, as typed one token of printable text
 * (nothing of {@link UNSAFE_CHARS}, no blank, even where WHATWG URL would percent-encode
 * it), no credentials (`@`), no query string or fragment. A driver adds its own rule on
 * `http://` where a secret travels.
 */
export const httpUrlSchema = lazySchema(() =>
  z
    .string()
    .max(2048, "expected at most 2048 characters")
    .refine(
      (u) => !hasUnsafeChars(u) && !/\s/u.test(u),
      "expected a URL of printable characters without blanks",
    )
    .refine((u) => /^https?:\/\//.test(u) && URL.canParse(u), "expected an http:// or https:// URL")
    .refine(
      (u) => !u.includes("@"),
      "put no credentials in the URL: give them as the driver's auth or token option",
    )
    .refine((u) => !u.includes("?") && !u.includes("#"), "expected a URL without a query string or fragment"),
);

/**
 * A file or socket on this machine the operator names (an SSH key, an agent or Incus
 * socket): relative or absolute, `..` allowed (it is theirs to name), but one printable
 * line of 1–4096 characters, nothing of {@link UNSAFE_CHARS}. Opened by the SDK, never
 * passed through a shell.
 */
export const localPathSchema = lazySchema(() =>
  z
    .string()
    .min(1, "expected a path")
    .max(MAX_PATH, `expected at most ${MAX_PATH} characters`)
    .refine(
      (p) => !hasUnsafeChars(p),
      "path contains a control, bidi or line-separator character (or a NUL byte)",
    ),
);
