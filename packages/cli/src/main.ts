import { errAsync, ok, ResultAsync } from "neverthrow";
import { cliPathSchema, GLOBAL_OPTIONS, parseRaw } from "./cli-args";
import { Session } from "./command";
import { COMMAND_TABLE } from "./commands/table";
import { configFlags, type LoadedConfig, loadConfig } from "./config";
import { EXIT, type ExitCode } from "./exit-codes";
import { isMainHelp, mainHelp } from "./main-help";
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
  if (name === undefined || isMainHelp(argv)) {
    printLines(terminalWriter(stdout), mainHelp(program));
    return EXIT.ok;
  }
  const entry = COMMAND_TABLE.find((c) => c.name === name);
  if (!entry) {
    const out = createOutput(wantsJson, stdout, stderr, program);
    return fail(out, EXIT.usage, {
      message: `unknown command "${name}"`,
      hint: `one of: ${COMMAND_TABLE.map((c) => c.name).join(", ")} (${program.name} --help)`,
      reason: "usage",
    });
  }
  const command = await entry.load();
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
