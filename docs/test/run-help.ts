/**
 * Runs the `--help` of every script the docs call, each distinct call once, and judges
 * the answers.
 * @module
 */
import { execFile } from "node:child_process";
import type { ScriptCall } from "./script-calls";

/** What a `--help` run answered. */
export interface HelpAnswer {
  code: number | null;
  output: string;
}

/** Runs `argv` in `root` with a deadline; stdout and stderr together. */
export function runHelp(root: string, argv: readonly string[], timeoutMs: number): Promise<HelpAnswer> {
  const [program = "", ...args] = argv;
  return new Promise((resolve) => {
    execFile(
      program,
      args,
      {
        cwd: root,
        timeout: timeoutMs,
        maxBuffer: 4 * 1024 * 1024,
        env: { ...process.env, FORCE_COLOR: "0" },
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : null) : 0;
        resolve({ code, output: `${stdout}${stderr}` });
      },
    );
  });
}

/**
 * Why a call's help does not hold (empty when it does): the script must exit 0, print a
 * usage (a script that ignores `--help` and just runs is caught here), and name each
 * subcommand the doc passes.
 */
export function helpProblems(call: ScriptCall, answer: HelpAnswer): string[] {
  const tail = answer.output.trim().split("\n").slice(-5).join("\n");
  if (answer.code !== 0) return [`\`${call.help.join(" ")}\` exited ${answer.code}:\n${tail}`];
  if (!/usage/i.test(answer.output)) return [`\`${call.help.join(" ")}\` printed no usage:\n${tail}`];
  return call.words
    .filter((w) => !new RegExp(`(^|[^\\w-])${w}($|[^\\w-])`).test(answer.output))
    .map((w) => `"${w}" is not in the usage of \`${call.help.join(" ")}\``);
}

/** Runs each distinct help once, `parallel` at a time, and returns every problem as `where: text — why`. */
export async function checkScriptCalls(
  root: string,
  calls: readonly ScriptCall[],
  options: { parallel: number; timeoutMs: number },
): Promise<string[]> {
  const distinct = [...new Set(calls.map((c) => JSON.stringify(c.help)))];
  const answers = new Map<string, HelpAnswer>();
  const queue = [...distinct];
  const worker = async () => {
    for (let key = queue.shift(); key !== undefined; key = queue.shift()) {
      answers.set(key, await runHelp(root, JSON.parse(key) as string[], options.timeoutMs));
    }
  };
  await Promise.all(Array.from({ length: options.parallel }, worker));
  return calls.flatMap((call) => {
    const answer = answers.get(JSON.stringify(call.help)) as HelpAnswer;
    return helpProblems(call, answer).map((why) => `${call.where}: ${call.text} — ${why}`);
  });
}
