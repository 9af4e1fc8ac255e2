/**
 * The `backflip …` command lines of the docs' `bash` blocks, read by the CLI's own
 * argument parser: each names a command the CLI has, and its flags and positional
 * arguments parse as the CLI would parse them (nothing runs).
 * @module
 */
import { GLOBAL_OPTIONS, parseRaw } from "../../packages/cli/src/cli-args";
import { COMMAND_TABLE } from "../../packages/cli/src/commands/table";
import { isMainHelp } from "../../packages/cli/src/main-help";
import type { DocBlock } from "./doc-blocks";
import type { CallProblem } from "./script-calls";
import { shellCommands } from "./shell-words";

/** What {@link cliCalls} found: how many `backflip` lines it read, and what is wrong with them. */
export interface CliCallReport {
  readonly lines: number;
  readonly problems: CallProblem[];
}

/** Reads every `backflip` command line of the `bash`/`sh` blocks (not those marked `skip`). */
export async function cliCalls(blocks: readonly DocBlock[]): Promise<CliCallReport> {
  const problems: CallProblem[] = [];
  let lines = 0;
  for (const block of blocks) {
    if (!["bash", "sh", "shell"].includes(block.lang) || block.markers.some((m) => m.kind === "skip"))
      continue;
    for (const { words, line } of shellCommands(block.code, block.line + 1)) {
      if (words[0] !== "backflip") continue;
      lines++;
      const where = `${block.file}:${line}`;
      const text = words.join(" ");
      const args = words.slice(1);
      if (args.length === 0 || isMainHelp(args)) continue;
      const [name, ...rest] = args;
      const entry = COMMAND_TABLE.find((c) => c.name === name);
      if (!entry) {
        problems.push({ where, text, message: `"${name}" is no backflip command` });
        continue;
      }
      const command = await entry.load();
      const parsed = parseRaw(rest, { ...GLOBAL_OPTIONS, ...command.options }, command.positionals);
      if (parsed.isErr()) problems.push({ where, text, message: parsed.error });
    }
  }
  return { lines, problems };
}
