import { type ChildProcess, spawn } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The connections of one wrk load unless told otherwise. */
export const WRK_CONNECTIONS = 4;

/** What wrk reported once stopped: its whole report, the requests made, and the failed ones. */
export interface WrkResult {
  readonly report: string;
  readonly requests: number;
  /** Socket errors (connect, read, write, timeout) plus non-2xx/3xx responses. */
  readonly failed: number;
}

/** A running wrk: its process (for cleanup on error) and how to stop it and read its totals. */
export interface WrkLoad {
  readonly child: ChildProcess;
  stop(): Promise<WrkResult>;
}

/**
 * Starts a steady load rather than a saturating one on `url`: wrk (niced, one thread)
 * with `connections` (default {@link WRK_CONNECTIONS}) connections, each waiting 1 ms between
 * requests, for at most `maxS` seconds;
 * its pacing script goes in `dir`. Resolves once the load has run for a second.
 */
export async function startWrkLoad(options: {
  readonly bin: string;
  readonly url: string;
  readonly maxS: number;
  readonly dir: string;
  readonly connections?: number;
}): Promise<WrkLoad> {
  const pacing = join(options.dir, "pacing.lua");
  await writeFile(pacing, "function delay()\n  return 1\nend\n");
  const child = spawn(
    "nice",
    [
      "-n",
      "10",
      options.bin,
      "-t1",
      `-c${options.connections ?? WRK_CONNECTIONS}`,
      `-d${options.maxS}s`,
      "-s",
      pacing,
      options.url,
    ],
    // Its own session, as a load generator elsewhere would be: not in the bench's scheduler group.
    { stdio: ["ignore", "pipe", "pipe"], detached: true },
  );
  let report = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    report += chunk.toString();
  });
  const done = new Promise((r) => child.once("exit", r));
  await sleep(1000);
  return {
    child,
    async stop() {
      child.kill("SIGINT");
      await Promise.race([done, sleep(5000)]);
      const requests = Number(/(\d+) requests in/.exec(report)?.[1] ?? Number.NaN);
      const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(
        report,
      );
      const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(report)?.[1] ?? 0);
      const failed = (socketErrors?.slice(1).reduce((sum, n) => sum + Number(n), 0) ?? 0) + non2xx;
      return { report, requests, failed };
    },
  };
}
