import { EXIT } from "./exit-codes";
import { type MainOptions, main } from "./main";
import { printLines, terminalWriter } from "./output";
import type { Out } from "./progress";

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

/** Asks on the terminal; only `y` or `yes` is a yes. (readline loads only when something is asked.) */
async function askOnTerminal(question: string): Promise<boolean> {
  const { createInterface } = await import("node:readline/promises");
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
}

/**
 * Runs {@link main} as this process: on `process.argv`, writing to stdout and stderr,
 * setting `process.exitCode`, asking for confirmations on a terminal; an internal error (a bug) prints its stack and exits 1.
 */
export function runMain(options: MainOptions = {}): void {
  const confirm =
    options.confirm ?? (process.stdin.isTTY && process.stdout.isTTY ? askOnTerminal : undefined);
  main(process.argv.slice(2), lineWriter(process.stdout), lineWriter(process.stderr), {
    ...options,
    ...(confirm ? { confirm } : {}),
  }).then(
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
