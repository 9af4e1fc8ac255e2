#!/usr/bin/env node
/**
 * `backflip`: the rollback runbook as a command line (`backflip --help`). The top-level
 * help is answered from the command table alone; anything else loads the CLI.
 */
import { isMainHelp, mainHelp } from "./main-help";

const argv = process.argv.slice(2);
if (isMainHelp(argv)) {
  process.stdout.on("error", () => undefined); // `backflip --help | head`: the reader went away
  process.stdout.write(`${mainHelp()}\n`);
} else {
  void import("./run-main").then(({ runMain }) => runMain());
}
