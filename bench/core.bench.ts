/**
 * `pnpm bench:core` — the core runtime, measured in one run:
 *
 * - a 200-step plan (20 checks in 4 parallel groups, 170 changes, 10 verifications)
 *   run with the file journal (one fsync per record) and the file lease lock in a temp
 *   directory, next to the same plan with the in-memory journal: the difference is
 *   what durability costs per step;
 * - a cold `import('@backflip/core')` of the BUILT package (`packages/core/dist`, built
 *   first when missing or older than the sources), timed inside five fresh `node`
 *   processes; the median wall time counts (CPU time and the load average are printed
 *   beside it).
 *
 * Last line: `core import_ms=<n> journal_ms_per_step=<n>`. Target: import ≤ 150 ms.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { Journal, LeaseLock, Step } from "@backflip/core";
import { okAsync } from "neverthrow";

const STEPS = 200;
const IMPORT_ROUNDS = 5;
const coreDir = fileURLToPath(new URL("../packages/core/", import.meta.url));
const dist = join(coreDir, "dist", "index.js");

function run(command: string, args: readonly string[], cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${command} ${args.join(" ")}: exit ${code}`)),
    );
  });
}

function newestSource(dir: string): number {
  return readdirSync(dir, { withFileTypes: true }).reduce((newest, entry) => {
    const path = join(dir, entry.name);
    return Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }, 0);
}

async function ensureBuilt(): Promise<void> {
  if (existsSync(dist) && statSync(dist).mtimeMs >= newestSource(join(coreDir, "src"))) return;
  console.log("building packages/core (dist missing or older than src) …");
  await run("npx", ["tsup"], coreDir);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function coldImportMs(): Promise<number> {
  const script = [
    "const cpu = process.cpuUsage(); const t = performance.now();",
    `await import(${JSON.stringify(pathToFileURL(dist).href)});`,
    "const used = process.cpuUsage(cpu);",
    'process.stdout.write(String(performance.now() - t) + " " + String((used.user + used.system) / 1000));',
  ].join(" ");
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < IMPORT_ROUNDS; i++) {
    const [w, c] = (await run(process.execPath, ["--input-type=module", "-e", script], coreDir)).split(" ");
    wall.push(Number(w));
    cpu.push(Number(c));
  }
  const ms = (xs: number[]) => xs.map((t) => t.toFixed(1)).join(" ");
  console.log(`cold import of dist/index.js in ${IMPORT_ROUNDS} fresh processes, wall ms: ${ms(wall)}`);
  // CPU time tells a slower import from a busier machine (wall grows with the load, CPU barely).
  console.log(`  cpu ms: ${ms(cpu)} (load average ${loadavg()[0]?.toFixed(1)} on ${cpus().length} cores)`);
  return median(wall);
}

function steps(): Step[] {
  const out: Step[] = [];
  const step = (id: string, kind: Step["kind"], group?: string): Step => ({
    id,
    title: `${kind} ${id}`,
    kind,
    ...(group ? { group } : {}),
    describe: () => [{ kind: "note", text: `bench ${id}` }],
    run: () => okAsync({ id, previous: "blue" }),
    ...(kind === "change" ? { undo: () => okAsync(undefined) } : {}),
  });
  for (let i = 0; i < 20; i++) out.push(step(`check-${i}`, "check", `g${Math.floor(i / 5)}`));
  for (let i = 0; i < 170; i++) out.push(step(`change-${i}`, "change"));
  for (let i = 0; i < 10; i++) out.push(step(`verify-${i}`, "verify"));
  return out;
}

async function main(): Promise<void> {
  await ensureBuilt();
  const core = await import("@backflip/core");
  const plan = core
    .createPlan({ path: "custom", env: "bench", actor: "bench", reason: "pnpm bench:core" }, steps())
    ._unsafeUnwrap();
  if (plan.steps.length !== STEPS) throw new Error(`expected ${STEPS} steps`);
  const dir = mkdtempSync(join(tmpdir(), "backflip-bench-core-"));
  try {
    const timeRun = async (journal: Journal, lock: LeaseLock) => {
      const start = performance.now();
      const report = (await core.runPlan(plan, { journal, lock, owner: "bench" }))._unsafeUnwrap();
      const ms = performance.now() - start;
      const records = (await journal.read(report.runId))._unsafeUnwrap().length;
      return { ms, records };
    };
    await timeRun(new core.MemoryJournal(), new core.MemoryLeaseLock());
    const memory = await timeRun(new core.MemoryJournal(), new core.MemoryLeaseLock());
    const file = await timeRun(
      new core.FileJournal({ dir: join(dir, "journal") }),
      new core.FileLeaseLock({ dir: join(dir, "locks") }),
    );
    const perStep = file.ms / STEPS;
    console.log(`${STEPS}-step plan, ${file.records} journal records (one fsync each)`);
    console.log(`  memory journal: ${memory.ms.toFixed(1)} ms (${(memory.ms / STEPS).toFixed(3)} ms/step)`);
    console.log(
      `  file journal:   ${file.ms.toFixed(1)} ms (${perStep.toFixed(3)} ms/step, ${(file.ms / memory.ms).toFixed(1)}x memory)`,
    );
    const importMs = await coldImportMs();
    console.log(`import target ≤ 150 ms: ${importMs <= 150 ? "met" : "MISSED"}`);
    console.log(`core import_ms=${importMs.toFixed(1)} journal_ms_per_step=${perStep.toFixed(3)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
