/**
 * A config object as the text of a `backflip.config.ts`: `backflip init --ts` writes the
 * same starting config as the JSON one, its `$comment` keys turned into `//` comments.
 */

/** The widest an object or array is written on one line. */
const INLINE_WIDTH = 80;

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** True when `value` holds a `$comment` at any level: it is then written one key a line. */
const hasComment = (value: unknown): boolean =>
  Array.isArray(value)
    ? value.some(hasComment)
    : isPlainObject(value) && Object.entries(value).some(([k, v]) => k === "$comment" || hasComment(v));

/** A key as TypeScript writes it: bare when it is an identifier. */
const tsKey = (key: string): string => (/^[A-Za-z_$][\w$]*$/.test(key) ? key : JSON.stringify(key));

/** `value` as a TypeScript expression at indentation `pad`: short objects and arrays on one line. */
function tsValue(value: unknown, pad: string): string {
  if (Array.isArray(value)) {
    const inline = `[${value.map((v) => tsValue(v, pad)).join(", ")}]`;
    if (!hasComment(value) && !inline.includes("\n") && inline.length <= INLINE_WIDTH) return inline;
    return `[\n${value.map((v) => `${pad}  ${tsValue(v, `${pad}  `)},\n`).join("")}${pad}]`;
  }
  if (!isPlainObject(value)) return JSON.stringify(value);
  const entries = Object.entries(value);
  if (entries.length === 0) return "{}";
  const inline = `{ ${entries.map(([k, v]) => `${tsKey(k)}: ${tsValue(v, pad)}`).join(", ")} }`;
  if (!hasComment(value) && !inline.includes("\n") && inline.length <= INLINE_WIDTH) return inline;
  return `{\n${tsProperties(value, `${pad}  `)}${pad}}`;
}

/**
 * A `$comment` as `//` lines: each string a line; an example object's keys as
 * commented-out properties (uncommented, they are keys of the object the comment is in).
 */
function tsComment(comment: unknown, pad: string): string {
  const parts = Array.isArray(comment) ? comment : [comment];
  return parts
    .map((part) =>
      isPlainObject(part)
        ? tsProperties(part, pad).replace(new RegExp(`^${pad}`, "gm"), `${pad}// `)
        : `${pad}// ${String(part)}\n`,
    )
    .join("");
}

/** An object's properties, one a line at indentation `pad`, its `$comment` first as comments. */
function tsProperties(object: Record<string, unknown>, pad: string): string {
  return Object.entries(object)
    .map(([k, v]) => (k === "$comment" ? tsComment(v, pad) : `${pad}${tsKey(k)}: ${tsValue(v, pad)},\n`))
    .join("");
}

/**
 * The text of a `backflip.config.ts` exporting `config` (its top-level `$comment` above
 * the export), checked by `satisfies BackflipConfig` through a type-only import.
 */
export function tsConfigText(config: Record<string, unknown>): string {
  const { $comment, ...rest } = config;
  return [
    $comment === undefined ? "" : tsComment($comment, ""),
    'import type { BackflipConfig } from "@backflip/cli";\n\n',
    `export default {\n${tsProperties(rest, "  ")}} satisfies BackflipConfig;\n`,
  ].join("");
}
