/**
 * The fenced code blocks of the repository's Markdown docs, with the `<!-- snippet: … -->`
 * markers written just above each one.
 * @module
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/**
 * A marker in an HTML comment right above a fence (blank lines may come between):
 * - `<!-- snippet: skip <reason> -->`: the block is not checked; the reason is required;
 * - `<!-- snippet: preamble` + lines of TypeScript + `-->`: code put before the block
 *   (declarations a fragment takes for granted), invisible in the rendered page;
 * - `<!-- snippet: in <dir> -->`: the block is checked as a file in `<dir>` (relative to
 *   the repository root) so its relative imports resolve; `examples` by default.
 */
export type SnippetMarker =
  | { kind: "skip"; reason: string }
  | { kind: "preamble"; code: string /** doc line of the code's first line */; line: number }
  | { kind: "in"; dir: string };

/** One fenced block: its language tag, its text (indentation removed) and where it is. */
export interface DocBlock {
  file: string;
  /** 1-based line of the opening fence. */
  line: number;
  lang: string;
  code: string;
  markers: SnippetMarker[];
}

/** The Markdown files whose blocks are checked, relative to `root`: README, docs, package and example READMEs. */
export function docFiles(root: string): string[] {
  const md = (dir: string): string[] =>
    readdirSync(join(root, dir), { withFileTypes: true }).flatMap((e) => {
      const path = join(dir, e.name);
      if (e.isDirectory()) return e.name === "api" || e.name === "node_modules" ? [] : md(path);
      return e.name.endsWith(".md") ? [path] : [];
    });
  const readmes = (dir: string): string[] =>
    readdirSync(join(root, dir), { withFileTypes: true })
      .filter((e) => e.isDirectory() && e.name !== "node_modules")
      .map((e) => join(dir, e.name, "README.md"))
      .filter((path) => existsSync(join(root, path)));
  return ["README.md", ...md("docs"), ...readmes("packages"), ...readmes("examples")];
}

const FENCE = /^(\s*)(`{3,}|~{3,})\s*([\w+-]*)/;
const MARKER_START = /^\s*<!--\s*snippet:\s*(.*)$/;

/** Every fenced block of one Markdown text, in order. */
export function fencedBlocks(file: string, markdown: string): DocBlock[] {
  const lines = markdown.split("\n");
  const blocks: DocBlock[] = [];
  let pending: SnippetMarker[] = [];
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i] ?? "";
    const marker = MARKER_START.exec(text);
    if (marker) {
      const body = [marker[1] ?? ""];
      while (!body.at(-1)?.includes("-->") && i + 1 < lines.length) body.push(lines[++i] ?? "");
      const start = i - body.length + 2;
      pending.push(parseMarker(body.join("\n").replace(/-->\s*$/, ""), start, `${file}:${start}`));
      continue;
    }
    const fence = FENCE.exec(text);
    if (!fence) {
      if (text.trim() !== "") pending = [];
      continue;
    }
    const [, indent = "", ticks = "```", lang = ""] = fence;
    const code: string[] = [];
    const line = i + 1;
    while (++i < lines.length) {
      const inner = lines[i] ?? "";
      if (inner.trim().startsWith(ticks) && inner.trim().replace(/[`~]/g, "") === "") break;
      code.push(inner.startsWith(indent) ? inner.slice(indent.length) : inner.trimStart());
    }
    blocks.push({ file, line, lang: lang.toLowerCase(), code: code.join("\n"), markers: pending });
    pending = [];
  }
  return blocks;
}

function parseMarker(body: string, line: number, where: string): SnippetMarker {
  const [head = "", ...rest] = body.split("\n");
  const [word = "", ...args] = head.trim().split(/\s+/);
  const arg = args.join(" ").trim();
  if (word === "skip") {
    if (arg === "") throw new Error(`${where}: <!-- snippet: skip --> needs a reason`);
    return { kind: "skip", reason: arg };
  }
  if (word === "in" && arg !== "") return { kind: "in", dir: arg };
  if (word === "preamble") return { kind: "preamble", code: [arg, ...rest].join("\n"), line };
  throw new Error(
    `${where}: unknown marker "<!-- snippet: ${head.trim()}" (skip <reason>, preamble, in <dir>)`,
  );
}

const COMMAND_SPAN = /`((?:npx -y pnpm@|pnpm |(?:bash )?scripts\/[\w.-]+ )[^`]*)`/g;

/**
 * The inline code spans of one Markdown text that are command lines naming pnpm or a
 * script under `scripts/` (outside fenced blocks), as one-line blocks of language
 * `inline`; a table's escaped `\|` is a plain `|`.
 */
export function commandSpans(file: string, markdown: string): DocBlock[] {
  const spans: DocBlock[] = [];
  let fence: string | null = null;
  markdown.split("\n").forEach((text, i) => {
    const ticks = FENCE.exec(text)?.[2];
    if (ticks && (fence === null || ticks.startsWith(fence))) fence = fence === null ? ticks : null;
    if (fence !== null || ticks) return;
    for (const m of text.matchAll(COMMAND_SPAN)) {
      const code = (m[1] ?? "").replaceAll("\\|", "|");
      spans.push({ file, line: i, lang: "inline", code, markers: [] }); // its text is on line i + 1
    }
  });
  return spans;
}

/** Every block of every doc file under `root`. */
export function allDocBlocks(root: string): DocBlock[] {
  return docFiles(root).flatMap((file) => fencedBlocks(file, readFileSync(join(root, file), "utf8")));
}

/** Every command span of every doc file under `root`. */
export function allCommandSpans(root: string): DocBlock[] {
  return docFiles(root).flatMap((file) => commandSpans(file, readFileSync(join(root, file), "utf8")));
}
