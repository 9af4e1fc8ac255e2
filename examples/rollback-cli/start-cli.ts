import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const MAIN = fileURLToPath(new URL("./main.ts", import.meta.url));

/** What a finished CLI process left: its exit code and its whole output. */
export interface Ran {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Starts the CLI as its own process (`node --import tsx main.ts …`, from the repository
 * root, actor `tester`), as a person or a workflow would; `done` resolves when it ends.
 */
export function startCli(args: readonly string[]): { child: ChildProcess; done: Promise<Ran> } {
  const child = spawn(process.execPath, ["--import", "tsx", MAIN, ...args], {
    cwd: ROOT,
    env: { ...process.env, BACKFLIP_ACTOR: "tester" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr?.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  const done = new Promise<Ran>((resolve) => child.on("close", (code) => resolve({ code, stdout, stderr })));
  return { child, done };
}

/** Runs the CLI to its end: {@link startCli}'s outcome. */
export const runCli = (...args: string[]): Promise<Ran> => startCli(args).done;
