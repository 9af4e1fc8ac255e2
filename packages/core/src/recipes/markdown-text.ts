import { UNSAFE_CHARS } from "../validate/schemas";

const UNSAFE = new RegExp(UNSAFE_CHARS.source, "gu");
/** Every character of {@link UNSAFE_CHARS} but the tab and the line feed a code block may hold. */
const UNSAFE_IN_BLOCK = new RegExp(`(?![\\t\\n])${UNSAFE_CHARS.source}`, "gu");

/** A character no reader should get raw, as visible text: `\u202E`. */
const visible = (c: string) => `\\u${(c.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, "0")}`;

/**
 * Text someone wrote (an operator's trigger, a backend's error message), as Markdown that
 * reads as that text and nothing else: line breaks become spaces and other control, bidi
 * and separator characters a visible `\uXXXX`; every ASCII character with inline meaning
 * in CommonMark or GFM (`\` `` ` `` `*` `_` `[` `]` `<` `>` `|` `~` `&`) is backslash-escaped,
 * so no emphasis, code, link, image, raw HTML, entity, strikethrough or table cell can start;
 * a leading `#`, `-`, `+`, `=` or `1.`/`1)` is escaped so the text cannot open a heading,
 * list, quote or rule when it starts a line. Backslash escapes rather than HTML entities,
 * because the file is read raw in a terminal as often as rendered. A bare URL stays a
 * link to exactly what it shows.
 */
export function markdownText(text: string): string {
  const oneLine = text
    .replace(/\r\n|[\r\n\u2028\u2029]/g, " ")
    .replace(UNSAFE, visible)
    .trimStart();
  return oneLine
    .replace(/[\\`*_[\]<>|~&]/g, (c) => `\\${c}`)
    .replace(/^([#+=-])/, "\\$1")
    .replace(/^(\d+)([.)])/, "$1\\$2");
}

/** The longest run of backticks in `text`. */
const longestBackticks = (text: string) => Math.max(0, ...(text.match(/`+/g) ?? []).map((r) => r.length));

/** `text` as an inline code span that no backtick in it can close; control characters made visible. */
export function markdownCode(text: string): string {
  const clean = text.replace(UNSAFE, visible);
  const ticks = "`".repeat(longestBackticks(clean) + 1);
  const pad = clean.startsWith("`") || clean.endsWith("`") ? " " : "";
  return `${ticks}${pad}${clean}${pad}${ticks}`;
}

/**
 * Lines as a fenced code block whose fence is longer than any backtick run in them, so no
 * line can close it; control characters other than tab made visible (a line feed inside a
 * quoted argument stays a line of the block).
 */
export function markdownBlock(lines: readonly string[]): string {
  const clean = lines.map((l) => l.replace(UNSAFE_IN_BLOCK, visible));
  const fence = "`".repeat(Math.max(3, longestBackticks(clean.join("\n")) + 1));
  return `${fence}\n${clean.map((l) => `${l}\n`).join("")}${fence}`;
}
