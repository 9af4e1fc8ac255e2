import { spawnSync } from "node:child_process";
import { readFile } from "node:fs/promises";
import { cpus, loadavg } from "node:os";
import { performance } from "node:perf_hooks";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Busy and total jiffies of all CPUs, from the first line of `/proc/stat`. */
async function cpuJiffies(): Promise<{ busy: number; total: number }> {
  const line = (await readFile("/proc/stat", "utf8")).split("\n")[0] ?? "";
  const fields = line.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = fields.reduce((sum, n) => sum + n, 0);
  // idle and iowait are the 4th and 5th fields.
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  return { busy: total - idle, total };
}

/** What the machine does and costs before a benchmark starts, measured, not assumed. */
export interface MachineBaseline {
  readonly cores: number;
  /** Share of all CPUs busy (0–1) over the sampling window, the benchmark not yet running. */
  readonly busyShare: number;
  /** The 1-minute load average at the end of the window. */
  readonly loadAverage: number;
  /** Median wall time of starting `/bin/true` and waiting for it (ms): the price of one process. */
  readonly spawnMs: number;
}

/**
 * Samples the machine for `windowMs` (default 2000) before a benchmark: how busy its CPUs
 * already are (other sessions, backends left running, a lab's cluster members) and what
 * starting one process costs (every `haproxy -c`, `incus exec` and reload pays it). Both
 * are the machine's, not the SDK's: printed beside the figures, they say why two machines
 * of the same kind give different absolute numbers.
 */
export async function machineBaseline(windowMs = 2000): Promise<MachineBaseline> {
  const before = await cpuJiffies();
  await sleep(windowMs);
  const after = await cpuJiffies();
  const total = after.total - before.total;
  const spawns: number[] = [];
  for (let i = 0; i < 11; i++) {
    const t0 = performance.now();
    spawnSync("/bin/true");
    spawns.push(performance.now() - t0);
  }
  spawns.sort((a, b) => a - b);
  return {
    cores: cpus().length,
    busyShare: total > 0 ? (after.busy - before.busy) / total : 0,
    loadAverage: loadavg()[0] ?? 0,
    spawnMs: spawns[Math.floor(spawns.length / 2)] ?? Number.NaN,
  };
}

/** One line for a benchmark's output: `machine: <n> cores, <n>% busy before the bench, …`. */
export function describeBaseline(m: MachineBaseline): string {
  return (
    `machine before the bench: ${m.cores} cores, ${(m.busyShare * 100).toFixed(0)}% busy over the sampling window ` +
    `(load average ${m.loadAverage.toFixed(1)}), starting one process (/bin/true) ${m.spawnMs.toFixed(1)} ms`
  );
}
