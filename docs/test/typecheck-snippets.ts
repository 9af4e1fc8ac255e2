/**
 * Typechecks the docs' `ts` blocks in one TypeScript program, under the repository's
 * tsconfig (its path aliases included), each block a module of its own.
 * @module
 */
import { join } from "node:path";
import ts from "typescript";
import type { DocBlock } from "./doc-blocks";

/** A compiler error in a doc block, located in the Markdown file. */
export interface SnippetProblem {
  /** `file:line` in the doc (the preamble's line when the error is in it). */
  where: string;
  message: string;
}

/** The blocks the typechecker reads: `ts`/`typescript` ones without a skip marker. */
export function typescriptBlocks(blocks: readonly DocBlock[]): DocBlock[] {
  return blocks.filter(
    (b) => (b.lang === "ts" || b.lang === "typescript") && !b.markers.some((m) => m.kind === "skip"),
  );
}

interface VirtualFile {
  block: DocBlock;
  text: string;
  preambleLines: number;
  preambleLine: number;
}

/**
 * Typechecks `blocks` as virtual files (nothing is written): a block lives in `examples/`
 * (or the directory of its `in` marker), its preamble first, `export {}` last so it is a
 * module (top-level await works). Unused names are allowed: a block shows a fragment.
 */
export function typecheckSnippets(root: string, blocks: readonly DocBlock[]): SnippetProblem[] {
  const files = new Map<string, VirtualFile>();
  for (const block of blocks) {
    const dir = block.markers.find((m) => m.kind === "in")?.dir ?? "examples";
    const preamble = block.markers.find((m) => m.kind === "preamble");
    const head = preamble ? `${preamble.code}\n` : "";
    const name = `__doc_${block.file.replace(/[^\w]+/g, "_")}_L${block.line}.ts`;
    files.set(join(root, dir, name), {
      block,
      text: `${head}${block.code}\nexport {};\n`,
      preambleLines: head === "" ? 0 : head.split("\n").length - 1,
      preambleLine: preamble?.line ?? 0,
    });
  }
  const options = compilerOptions(root);
  const host = ts.createCompilerHost(options, true);
  const { fileExists, readFile, getSourceFile } = host;
  host.fileExists = (path) => files.has(path) || fileExists.call(host, path);
  host.readFile = (path) => files.get(path)?.text ?? readFile.call(host, path);
  host.getSourceFile = (path, language, ...rest) => {
    const file = files.get(path);
    return file
      ? ts.createSourceFile(path, file.text, language, true)
      : getSourceFile.call(host, path, language, ...rest);
  };
  const program = ts.createProgram([...files.keys()], options, host);
  const problems: SnippetProblem[] = [];
  for (const [path, file] of files) {
    const source = program.getSourceFile(path);
    if (!source) {
      problems.push({ where: `${file.block.file}:${file.block.line}`, message: "not read by the compiler" });
      continue;
    }
    const diagnostics = [
      ...program.getSyntacticDiagnostics(source),
      ...program.getSemanticDiagnostics(source),
    ];
    for (const d of diagnostics) {
      const line = source.getLineAndCharacterOfPosition(d.start ?? 0).line;
      const docLine =
        line < file.preambleLines
          ? `${file.preambleLine + line} (preamble)`
          : `${file.block.line + 1 + line - file.preambleLines}`;
      problems.push({
        where: `${file.block.file}:${docLine}`,
        message: `TS${d.code}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`,
      });
    }
  }
  return problems;
}

function compilerOptions(root: string): ts.CompilerOptions {
  const path = join(root, "tsconfig.json");
  const config = ts.readConfigFile(path, ts.sys.readFile);
  if (config.error) throw new Error(ts.flattenDiagnosticMessageText(config.error.messageText, "\n"));
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, root, undefined, path);
  return { ...parsed.options, noEmit: true, noUnusedLocals: false, noUnusedParameters: false };
}
