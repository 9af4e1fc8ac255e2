/**
 * `rollback` — the `@backflip/cli` command line with the repository's lab as one more
 * target (`--target lab`): the CLI's pieces embedded in a program of its own.
 * Run: `npx tsx examples/rollback-cli/main.ts --help` (or `npx -y pnpm@12.4.2 rollback --help`).
 */
import { realpathSync } from "node:fs";
import { pathToFileURL } from "node:url";
import {
  main as cliMain,
  type ExitCode,
  type MainOptions,
  type Out,
  runMain,
  type TargetOpener,
} from "@backflip/cli";
import { driverError } from "@backflip/core";
import { ResultAsync } from "neverthrow";

/** The lab target, loaded on demand: its drivers (Incus, HAProxy, the registry) are not needed otherwise. */
const openLab: TargetOpener = (options) =>
  ResultAsync.fromPromise(import("./lab-target"), (cause) =>
    driverError({
      driver: "rollback-cli",
      op: "target",
      reason: "unavailable",
      message: `cannot load the lab target: ${(cause as Error).message}`,
      hint: "check the lab/ workspace package is installed (pnpm install)",
      cause,
    }),
  ).andThen((lab) => lab.openLabTarget(options.env ?? "lab", options.coordination));

/** The example's CLI: named `rollback`, its leases taken `via rollback-cli`, with `--target lab`. */
export const ROLLBACK_CLI: MainOptions = {
  program: { name: "rollback", tool: "rollback-cli" },
  targets: { lab: openLab },
};

/** Runs the example's CLI on `argv`, writing to `stdout`/`stderr`; returns the exit code. */
export const main = (argv: readonly string[], stdout: Out, stderr: Out): Promise<ExitCode> =>
  cliMain(argv, stdout, stderr, ROLLBACK_CLI);

const entry = process.argv[1];
if (entry && pathToFileURL(realpathSync(entry)).href === import.meta.url) runMain(ROLLBACK_CLI);
