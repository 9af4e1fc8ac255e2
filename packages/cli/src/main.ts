import { errAsync, ok, ResultAsync } from "neverthrow";
import { cliPathSchema, GLOBAL_OPTIONS, parseRaw } from "./cli-args";
import { GLOBAL_HELP, Session } from "./command";
import { COMMANDS } from "./commands";
import { configFlags, type LoadedConfig, loadConfig } from "./config";
import { EXIT, EXIT_CODES_HELP, type ExitCode } from "./exit-codes";
import { createOutput, fail, printLines, terminalWriter } from "./output";
import { BACKFLIP, type Program, withProgram } from "./program";
import type { Out } from "./progress";
import type { TargetOpeners } from "./target";

/** The config `--config` names, or the working directory's; an error names the flag or the file and key. */
function readConfig(flag: unknown): ResultAsync<LoadedConfig | null, string> {
  if (flag === undefined) return loadConfig(undefined, process.cwd());
  const path = cliPathSchema.safeParse(flag);
  if (!path.success) return errAsync(`--config: ${path.error.issues[0]?.message ?? "expected a path"}`);
  return loadConfig(path.data, process.cwd());
}

/** The `stack` target a config describes (its drivers load on demand), as a `--target` kind. */
function stackTargets({ path, config }: LoadedConfig): TargetOpeners {
  const target = config.target;
  if (target.kind !== "stack") return {};
  return {
    stack: (options) =>
      ResultAsync.fromSafePromise(import("./stack-target")).andThen((stack) =>
        stack.openStackTarget(path, target, options),
      ),
  };
}

/** Who runs the CLI's {@link main}: its name, and the target kinds it adds to `simulated`. */
export interface MainOptions {
  /** Default {@link BACKFLIP}. */
  readonly program?: Program;
  /** Extra `--target` kinds (the repository's example adds `lab`). */
  readonly targets?: TargetOpeners;
  /** Asks the operator yes or no; absent when nobody can answer (no terminal): then nothing is asked. */
  readonly confirm?: (question: string) => Promise<boolean>;
}

/** The top-level `--help`. */
export function mainHelp(program: Program = BACKFLIP): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return withProgram(
    `Usage: %prog <command> [options]      (%prog <command> --help for each)

Rolls back a blue/green deploy the way the runbook says, with a journal (resume after a
crash), a per-environment lock, live progress, and JSON with --json.

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join("\n")}

${GLOBAL_HELP}

Examples:
  %prog status
  %prog decide --symptom public-probe-failing --on-call --paged
  %prog rollback --mode fast --reason "green 500s since the deploy"
  %prog resume 20261126T053300Z-3fa9c1 --break-stale-lock

${EXIT_CODES_HELP}`,
    program,
  );
}

/** Runs the CLI on `argv` (without `node` and the script), writing to `stdout`/`stderr`; returns the exit code. */
export async function main(
  argv: readonly string[],
  stdout: Out,
  stderr: Out,
  options: MainOptions = {},
): Promise<ExitCode> {
  const program = options.program ?? BACKFLIP;
  const wantsJson = argv.includes("--json");
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    printLines(terminalWriter(stdout), mainHelp(program));
    return EXIT.ok;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    const out = createOutput(wantsJson, stdout, stderr, program);
    return fail(out, EXIT.usage, {
      message: `unknown command "${name}"`,
      hint: `one of: ${COMMANDS.map((c) => c.name).join(", ")} (${program.name} --help)`,
      reason: "usage",
    });
  }
  const raw = parseRaw(rest, { ...GLOBAL_OPTIONS, ...command.options }, command.positionals);
  const out = createOutput(raw.isOk() ? raw.value.values.json === true : wantsJson, stdout, stderr, program);
  if (raw.isErr())
    return fail(out, EXIT.usage, {
      message: raw.error,
      hint: `see: ${program.name} ${name} --help`,
      reason: "usage",
    });
  if (raw.value.values.help === true) {
    printLines(terminalWriter(stdout), withProgram(command.help, program));
    return EXIT.ok;
  }
  const configured = command.ignoresConfig ? ok(null) : await readConfig(raw.value.values.config);
  if (configured.isErr())
    return fail(out, EXIT.usage, {
      message: configured.error,
      hint: `fix it (${program.name} init --config FILE writes a commented example), or leave --config out`,
      reason: "usage",
    });
  const loaded = configured.value;
  // a flag given on the command line wins over the config
  const values = loaded ? { ...configFlags(loaded), ...raw.value.values } : raw.value.values;
  const session = new Session(
    { ...options.targets, ...(loaded ? stackTargets(loaded) : {}) },
    options.confirm,
  );
  try {
    return await command.run({ ...raw.value, values }, out, session);
  } finally {
    await session.close();
  }
}
