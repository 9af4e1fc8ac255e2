/**
 * Which command lines of the docs' `bash` blocks name a project script, and the
 * `--help` call that proves each one still exists as written.
 * @module
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { DocBlock } from "./doc-blocks";
import { shellCommands } from "./shell-words";

/** What the test reads of the root package.json. */
export interface Manifest {
  /** The pinned pnpm, e.g. `pnpm@12.4.2`: the docs run it as `npx -y <packageManager>`. */
  packageManager: string;
  scripts: Readonly<Record<string, string>>;
}

/**
 * pnpm 12.4.2's own commands and their aliases (`npx -y pnpm@12.4.2 --help`): `pnpm <name>`
 * runs these, not a script of the same name.
 */
const PNPM_COMMANDS = new Set(
  (
    "access init recursive multi m add install i install-test it update up upgrade outdated audit change " +
    "version lane bugs issues list ls ll la licenses licences why view info show v sbom whoami deprecate " +
    "undeprecate unpublish star unstar stars dist-tag dist-tags ping doctor search s se find rebuild rb " +
    "pack publish stage remove uninstall rm un uni patch patch-commit patch-remove peers set-script ss " +
    "test t tst run pipeline exec dlx create completion start stop restart find-hash runtime rt env shim " +
    "bin clean purge ci clean-install ic install-clean root prefix config c get set pkg pack-app store " +
    "cache cat-file cat-index ignored-builds approve-builds link ln import dedupe deploy prune fetch " +
    "unlink dislink docs home repo self-update setup login adduser team owner owners logout with edit " +
    "profile token xmas help"
  ).split(" "),
);

/** pnpm's commands that run the script of their name (or that a script overrides). */
const RUNS_THE_SCRIPT = new Set(["test", "t", "tst", "start", "stop", "restart", "clean", "purge"]);

/** A doc command line that names a project script. */
export interface ScriptCall {
  /** `file:line` in the doc. */
  where: string;
  /** The command as the doc writes it. */
  text: string;
  /** What the test runs: the script, `--help` in place of its arguments. */
  help: string[];
  /** The subcommand words the doc passes (`lab up` → `["up"]`): the help must name each. */
  words: string[];
}

/** A doc command line that is wrong without running it (a missing script, bare `pnpm`, …). */
export interface CallProblem {
  where: string;
  text: string;
  message: string;
}

/** A subcommand or backend name, as opposed to a path, a value or a placeholder. */
const SUBCOMMAND = /^[a-z][a-z0-9-]*$/;

function subcommands(args: readonly string[]): string[] {
  const words: string[] = [];
  for (const a of args) {
    if (!SUBCOMMAND.test(a)) break;
    words.push(a);
  }
  return words;
}

/**
 * The script calls of `bash`/`sh` blocks and `inline` command spans (and the problems found by reading them):
 * `npx -y pnpm@12.4.2 [run] <script>`, `bash scripts/<file>` or `scripts/<file>`, and
 * `npx tsx <file>` for a file of the repository. A bare `pnpm` or another pnpm version
 * than packageManager's is a problem, as is a name that is no script of package.json, and a
 * script that pnpm's own command of the same name shadows (`pnpm docs` opens a browser).
 */
export function scriptCalls(
  root: string,
  blocks: readonly DocBlock[],
  { packageManager, scripts }: Manifest,
): { calls: ScriptCall[]; problems: CallProblem[] } {
  const PNPM = ["npx", "-y", packageManager];
  const calls: ScriptCall[] = [];
  const problems: CallProblem[] = [];
  for (const block of blocks) {
    if (
      !["bash", "sh", "shell", "inline"].includes(block.lang) ||
      block.markers.some((m) => m.kind === "skip")
    )
      continue;
    for (const command of shellCommands(block.code, block.line + 1)) {
      let words = command.words;
      while (words[0] !== undefined && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[0])) words = words.slice(1);
      const where = `${block.file}:${command.line}`;
      const text = words.join(" ");
      const problem = (message: string) => problems.push({ where, text, message });
      const [first, ...rest] = words;
      if (first === undefined) continue;
      if (first === "pnpm") {
        problem(`bare pnpm: write \`${PNPM.join(" ")} ${rest.join(" ")}\` (the version the repository pins)`);
        continue;
      }
      if (
        first === "npx" &&
        rest.some((w) => /^pnpm(@|$)/.test(w)) &&
        (rest[0] !== "-y" || rest[1] !== PNPM[2])
      ) {
        problem(`write \`${PNPM.join(" ")}\` (package.json's packageManager), not \`${text}\``);
        continue;
      }
      if (first === "npx" && rest[0] === "-y" && rest[1] === PNPM[2]) {
        const args = rest.slice(2);
        const [name, ...more] = args;
        if (name === undefined || name.startsWith("-")) continue; // pnpm's options first: not a script call
        const viaRun = name === "run";
        const script = viaRun ? more[0] : name;
        const scriptArgs = viaRun ? more.slice(1) : more;
        if (script === undefined) continue;
        if (!(script in scripts)) {
          if (viaRun || !PNPM_COMMANDS.has(script)) problem(`"${script}" is no script of package.json`);
          continue;
        }
        if (!viaRun && PNPM_COMMANDS.has(script) && !RUNS_THE_SCRIPT.has(script)) {
          problem(
            `pnpm's own "${script}" command runs, not the script: write \`${PNPM.join(" ")} run ${script}\``,
          );
          continue;
        }
        calls.push({ where, text, help: [...PNPM, "run", script, "--help"], words: subcommands(scriptArgs) });
        continue;
      }
      const file = first === "bash" || first === "sh" ? rest[0] : first;
      const fileArgs = first === "bash" || first === "sh" ? rest.slice(1) : rest;
      if (file?.replace(/^\.\//, "").startsWith("scripts/")) {
        if (!existsSync(join(root, file))) problem(`${file} does not exist`);
        else calls.push({ where, text, help: ["bash", file, "--help"], words: subcommands(fileArgs) });
        continue;
      }
      const tsx = first === "tsx" ? rest : first === "npx" && rest[0] === "tsx" ? rest.slice(1) : null;
      if (tsx) {
        const [path, ...args] = tsx;
        if (path === undefined || path.includes("<")) continue;
        if (!existsSync(join(root, path))) problem(`${path} does not exist`);
        else calls.push({ where, text, help: ["npx", "tsx", path, "--help"], words: subcommands(args) });
      }
    }
  }
  return { calls, problems };
}
