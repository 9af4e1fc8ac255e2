/**
 * `rollback` — the rollback runbook as a command line, built on the Backflip SDK.
 * Run: `npx tsx examples/rollback-cli/main.ts --help` (or `pnpm rollback --help`).
 */
import { realpathSync } from "node:fs";
import { pathToFileURL } from "node:url";
import type { Out } from "../lib/progress";
import { GLOBAL_OPTIONS, parseRaw } from "./cli-args";
import { GLOBAL_HELP, Session } from "./command";
import { COMMANDS } from "./commands";
import { EXIT, EXIT_CODES_HELP, type ExitCode } from "./exit-codes";
import { createOutput, fail, printLines, terminalWriter } from "./output";

/** The top-level `--help`. */
export function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return `Usage: rollback <command> [options]      (rollback <command> --help for each)

Rolls back a blue/green deploy the way the runbook says, with a journal (resume after a
crash), a per-environment lock, live progress, and JSON with --json.

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join("\n")}

${GLOBAL_HELP}

Examples:
  rollback status
  rollback decide --symptom public-probe-failing --on-call --paged
  rollback rollback --mode fast --reason "green 500s since the deploy"
  rollback resume 20261126T053300Z-3fa9c1 --break-stale-lock

${EXIT_CODES_HELP}`;
}

/** Runs the CLI on `argv` (without `node` and the script), writing to `stdout`/`stderr`; returns the exit code. */
export async function main(argv: readonly string[], stdout: Out, stderr: Out): Promise<ExitCode> {
  const wantsJson = argv.includes("--json");
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    printLines(terminalWriter(stdout), mainHelp());
    return EXIT.ok;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    const out = createOutput(wantsJson, stdout, stderr);
    return fail(out, EXIT.usage, {
      message: `unknown command "${name}"`,
      hint: `one of: ${COMMANDS.map((c) => c.name).join(", ")} (rollback --help)`,
      reason: "usage",
    });
  }
  const raw = parseRaw(rest, { ...GLOBAL_OPTIONS, ...command.options }, command.positionals);
  const out = createOutput(raw.isOk() ? raw.value.values.json === true : wantsJson, stdout, stderr);
  if (raw.isErr())
    return fail(out, EXIT.usage, {
      message: raw.error,
      hint: `see: rollback ${name} --help`,
      reason: "usage",
    });
  if (raw.value.values.help === true) {
    printLines(terminalWriter(stdout), command.help);
    return EXIT.ok;
  }
  const session = new Session();
  try {
    return await command.run(raw.value, out, session);
  } finally {
    await session.close();
  }
}

/**
 * A line writer on a stream that stops writing once it fails (the reader went away: `| head`):
 * a run must not die halfway because nobody reads its progress any more.
 */
function lineWriter(stream: NodeJS.WriteStream): Out {
  let closed = false;
  stream.on("error", () => {
    closed = true;
  });
  return (line) => {
    if (!closed) stream.write(`${line}\n`);
  };
}

const entry = process.argv[1];
if (entry && pathToFileURL(realpathSync(entry)).href === import.meta.url) {
  main(process.argv.slice(2), lineWriter(process.stdout), lineWriter(process.stderr)).then(
    (code) => {
      process.exitCode = code;
    },
    (cause: unknown) => {
      const text = cause instanceof Error ? (cause.stack ?? cause.message) : String(cause);
      printLines(terminalWriter(lineWriter(process.stderr)), `internal error: ${text}`);
      process.exitCode = EXIT.failed;
    },
  );
}
