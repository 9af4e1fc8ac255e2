/**
 * `pnpm bench:incus` — the driver against the `incus` CLI, side by side in one run, on
 * three real busybox containers (`bf-incus-bench-{backend,stream,web}-blue`, created and
 * deleted here):
 *
 * - state check of all three: one `host.list({ pattern })` vs three
 *   `incus list NAME --format csv -c n,s` processes, one after the other;
 * - exec round trip: `host.shell(NAME).run(["cat", "/etc/inittab"])` vs
 *   `incus exec NAME -- cat /etc/inittab`.
 *
 * Rounds alternate driver and CLI; medians are compared. Last line:
 * `incus state_check_ratio=<n> exec_ratio=<n>` (CLI time / driver time). Target: state ≥ 3.
 * Needs `scripts/backends up incus`.
 */
import { spawn } from "node:child_process";
import { performance } from "node:perf_hooks";
import { backendEnv } from "@backflip/core/testing";
import { createIncusHost } from "@backflip/driver-incus";

const ROUNDS = 30;
const WARMUP = 3;
const NAMES = ["backend", "stream", "web"].map((c) => `bf-incus-bench-${c}-blue`);
const PATTERN = "bf-incus-bench-{backend,stream,web}-blue";

const env = backendEnv("incus");
if (!env?.INCUS_SOCKET) {
  console.error("incus is not available: run `scripts/backends up incus` first");
  process.exit(2);
}
const socket = env.INCUS_SOCKET;
const image = env.INCUS_IMAGE ?? "busybox";

/** Runs the incus CLI (argv, stdin closed); resolves with stdout, rejects on a non-zero exit. */
function incus(args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn("incus", args, {
      env: { ...process.env, INCUS_SOCKET: socket },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let errText = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      errText += d.toString();
    });
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0
        ? resolve(out)
        : reject(new Error(`incus ${args.join(" ")}: exit ${code}: ${errText.trim()}`)),
    );
  });
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}

const host = createIncusHost({ socketPath: socket })._unsafeUnwrap();

async function driverStateCheck(): Promise<void> {
  const found = (await host.list({ pattern: PATTERN }))._unsafeUnwrap();
  if (found.length !== 3 || found.some((i) => !i.running))
    throw new Error("driver: expected three running containers");
}

async function cliStateCheck(): Promise<void> {
  for (const name of NAMES) {
    const out = await incus(["list", name, "--format", "csv", "-c", "n,s"]);
    if (!out.includes(`${name},RUNNING`)) throw new Error(`cli: ${name} is not RUNNING: ${out.trim()}`);
  }
}

async function driverExec(): Promise<void> {
  const r = (await host.shell(NAMES[0] ?? "").run(["cat", "/etc/inittab"]))._unsafeUnwrap();
  if (r.exitCode !== 0 || !r.stdout.includes("respawn"))
    throw new Error(`driver: exec returned ${JSON.stringify(r)}`);
}

async function cliExec(): Promise<void> {
  const out = await incus(["exec", NAMES[0] ?? "", "--", "cat", "/etc/inittab"]);
  if (!out.includes("respawn")) throw new Error("cli: exec returned the wrong output");
}

async function main(): Promise<void> {
  for (const name of NAMES) {
    await incus(["delete", "--force", name]).catch(() => undefined);
    await incus(["launch", image, name]);
  }
  try {
    const samples = {
      driverState: [] as number[],
      cliState: [] as number[],
      driverExec: [] as number[],
      cliExec: [] as number[],
    };
    for (let round = 0; round < WARMUP + ROUNDS; round++) {
      const d1 = await timed(driverStateCheck);
      const c1 = await timed(cliStateCheck);
      const d2 = await timed(driverExec);
      const c2 = await timed(cliExec);
      if (round < WARMUP) continue;
      samples.driverState.push(d1);
      samples.cliState.push(c1);
      samples.driverExec.push(d2);
      samples.cliExec.push(c2);
    }
    const ms = (x: number) => `${x.toFixed(1)} ms`;
    const state = median(samples.cliState) / median(samples.driverState);
    const exec = median(samples.cliExec) / median(samples.driverExec);
    console.log(`rounds: ${ROUNDS} (after ${WARMUP} warm-up), medians`);
    console.log(
      `state check of 3: driver list(pattern) ${ms(median(samples.driverState))}, 3x incus list ${ms(median(samples.cliState))}`,
    );
    console.log(
      `exec round trip:  driver shell.run ${ms(median(samples.driverExec))}, incus exec ${ms(median(samples.cliExec))}`,
    );
    console.log(`incus state_check_ratio=${state.toFixed(2)} exec_ratio=${exec.toFixed(2)}`);
  } finally {
    for (const name of NAMES) await incus(["delete", "--force", name]).catch(() => undefined);
    await host.close();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
