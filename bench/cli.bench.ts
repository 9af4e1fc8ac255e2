/**
 * `pnpm bench:cli` — the installed CLI's cold start: `@backflip/cli` is packed (its
 * prepack builds the bundle) and installed with `npm i -g` into a temp prefix, as an
 * operator would; then `backflip --help` and `backflip status` (the simulated target, a
 * fresh state directory each time) are each run in five fresh processes. The median wall
 * time counts (every sample and the load average are printed beside it). A bare
 * `node -e ""` is measured the same way first: the floor no CLI start can go under.
 *
 * Last line: `cli help_ms=<n> status_ms=<n>`. Targets: help ≤ 250 ms, status ≤ 400 ms.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { installPackedCli } from "../packages/cli/test/packed-cli";

const ROUNDS = 5;

/** One cold run of `bin args` in `cwd`: its wall time (ms); a non-zero exit fails the bench. */
function timed(bin: string, args: readonly string[], cwd: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(bin, args, { cwd, stdio: ["ignore", "ignore", "inherit"] });
    child.on("error", reject);
    child.on("exit", (code) => {
      if (code === 0) resolve(performance.now() - started);
      else reject(new Error(`${bin} ${args.join(" ")}: exit ${code}`));
    });
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

async function measure(label: string, bin: string, args: readonly string[], dir: string): Promise<number> {
  const walls: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const cwd = mkdtempSync(join(dir, "run-"));
    walls.push(await timed(bin, args, cwd));
    rmSync(cwd, { recursive: true, force: true });
  }
  const m = median(walls);
  console.log(
    `${label}: median ${m.toFixed(0)} ms of ${walls.map((w) => w.toFixed(0)).join(", ")} (load ${loadavg()[0]?.toFixed(1)})`,
  );
  return m;
}

const cli = await installPackedCli();
console.log(`installed ${cli.bin}`);
try {
  await timed(cli.bin, ["--help"], cli.dir); // the first run warms the file cache, as an operator's second would
  await measure("node (the floor)", process.execPath, ["-e", ""], cli.dir);
  const help = await measure("backflip --help", cli.bin, ["--help"], cli.dir);
  const status = await measure("backflip status", cli.bin, ["status"], cli.dir);
  console.log(`cli help_ms=${Math.round(help)} status_ms=${Math.round(status)}`);
} finally {
  rmSync(cli.dir, { recursive: true, force: true });
}
