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

/**
 * Runs {@link main} as this process: on `process.argv`, writing to stdout and stderr,
 * setting `process.exitCode`; an internal error (a bug) prints its stack and exits 1.
 */
export function runMain(options: MainOptions = {}): void {
  main(process.argv.slice(2), lineWriter(process.stdout), lineWriter(process.stderr), options).then(
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
