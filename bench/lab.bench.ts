/**
 * `pnpm bench:lab`: the runbook's paths end to end on the lab (real Incus, HAProxy inside
 * `veza-lab-haproxy`, the fake registry), through the recipes and the runner with a
 * file journal (fsync'd before every change and at the end) and a file lease lock, as an on-call engineer would run
 * them:
 *
 * - Path 1 (`fastFlip` planning + `runPlan`) ≥ 20 times, flipping blue ↔ green, while wrk
 *   (Debian's, loopback only, bounded duration) keeps a steady load on the public URL
 *   through the lab's HAProxy;
 * - Path 2 native redeploy of an older SHA once (`redeploy` planning + `runPlan`).
 *
 * The per-step medians, taken from the runs' events, the time runs spend outside their
 * steps, and one `incus exec` round trip into the HAProxy container (a flip's
 * `render-validate` runs one: `haproxy -c`; files and sockets need none) say where the
 * time goes. Last line:
 * `lab fast_flip_p50_ms=<n> fast_flip_p95_ms=<n> redeploy_s=<n> requests=<n> failed=<n>`
 * (failed: wrk socket errors plus non-2xx responses). Targets: fast flip p50 ≤ 150 ms,
 * p95 ≤ 250 ms; redeploy ≤ 15 s; failed = 0. Needs `scripts/backends up incus haproxy`
 * and wrk (`apt-get install wrk`); brings the lab up itself and leaves it reset.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import {
  FileJournal,
  FileLeaseLock,
  formatDriverError,
  type RollbackPlan,
  type RunEvent,
  runPlan,
} from "@backflip/core";
import { fastFlip, redeploy } from "@backflip/core/recipes";
import type { LabDrivers } from "../lab/src/lab-drivers";
import { LAB_RELEASES } from "../lab/src/lab-releases";
import { resetLab } from "../lab/src/lab-reset";
import { LAB_HAPROXY } from "../lab/src/lab-settings";
import { labUp } from "../lab/src/lab-up";
import { startWrkLoad } from "./wrk-load";

const FLIPS = 24;
const WRK_MAX_S = 180;
const TARGETS = { p50: 150, p95: 250, redeployS: 15 } as const;
const who = { actor: "bench", reason: "pnpm bench:lab" };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
};

/** Median duration of each step over runs, from their `step.succeeded` events, in step order. */
function stepProfile(runs: RunEvent[][]): string {
  const byStep = new Map<string, number[]>();
  for (const events of runs)
    for (const e of events)
      if (e.type === "step.succeeded") byStep.set(e.stepId, [...(byStep.get(e.stepId) ?? []), e.durationMs]);
  return [...byStep].map(([id, ms]) => `${id} ${percentile(ms, 50)}`).join(", ");
}

/** Wall time during which at least one step ran (the steps of a check group overlap). */
function inSteps(events: RunEvent[]): number {
  const spans = events
    .flatMap((e) => (e.type === "step.succeeded" ? [[e.elapsedMs - e.durationMs, e.elapsedMs] as const] : []))
    .sort((a, b) => a[0] - b[0]);
  let covered = 0;
  let end = Number.NEGATIVE_INFINITY;
  for (const [from, to] of spans) {
    if (to <= end) continue;
    covered += to - Math.max(from, end);
    end = to;
  }
  return covered;
}

/** What a run spent outside planning and its steps: the runner, the journal's fsyncs, the lock. */
function outsideSteps(run: { ms: number; planMs: number; events: RunEvent[] }): number {
  return run.ms - run.planMs - inSteps(run.events);
}

function unwrapPlan(r: Awaited<ReturnType<typeof fastFlip>>, what: string): RollbackPlan {
  if (r.isErr()) throw new Error(`${what}: ${formatDriverError(r.error)}`);
  return r.value;
}

/** Plans and runs one recipe; its wall time (planning + run), the run's events and the planning time. */
async function timed(
  dir: string,
  plan: () => ReturnType<typeof fastFlip>,
  what: string,
): Promise<{ ms: number; planMs: number; events: RunEvent[] }> {
  const events: RunEvent[] = [];
  const t0 = performance.now();
  const p = unwrapPlan(await plan(), what);
  const planMs = performance.now() - t0;
  const r = await runPlan(p, {
    journal: new FileJournal({ dir: join(dir, "journal") }),
    lock: new FileLeaseLock({ dir: join(dir, "locks") }),
    owner: "bench",
    onEvent: (e) => events.push(e),
  });
  const ms = performance.now() - t0;
  if (r.isErr()) throw new Error(`${what}: ${r.error.kind}: ${r.error.message}`);
  return { ms, planMs, events };
}

async function main(): Promise<void> {
  const up = await labUp();
  if (up.isErr())
    throw new Error(`lab up: ${formatDriverError(up.error)} (needs scripts/backends up incus haproxy)`);
  const d: LabDrivers = up.value;
  const dir = await mkdtemp(join(tmpdir(), "backflip-bench-lab-"));
  try {
    (await resetLab(d))._unsafeUnwrap();

    // The floor under every HAProxy operation: one `incus exec` round trip into its container.
    const shell = d.host.shell(LAB_HAPROXY.container);
    const execs: number[] = [];
    for (let i = 0; i < 10; i++) {
      const t0 = performance.now();
      (await shell.run(["true"]))._unsafeUnwrap();
      execs.push(performance.now() - t0);
    }

    // A steady load through the lab's HAProxy.
    const wrk = await startWrkLoad({ bin: "wrk", url: d.topology.publicHealthUrl, maxS: WRK_MAX_S, dir });

    const flips: { ms: number; planMs: number; events: RunEvent[] }[] = [];
    for (let i = 0; i < FLIPS; i++) {
      flips.push(await timed(dir, () => fastFlip(d.topology, d, who), `fast flip ${i + 1}`));
      await sleep(100);
    }
    await sleep(500);
    const { report, requests, failed } = await wrk.stop();

    (await resetLab(d))._unsafeUnwrap();
    const probe = { attempts: 60, deadlineMs: 30_000, intervalMs: 100 };
    const path2 = await timed(
      dir,
      () => redeploy(d.topology, d, { ...who, sha: LAB_RELEASES.old, probe }),
      "redeploy",
    );

    const totals = flips.map((f) => f.ms);
    const p50 = percentile(totals, 50);
    const p95 = percentile(totals, 95);
    const redeployS = path2.ms / 1000;
    console.log(`wrk: ${report.trim().split("\n").join(" | ")}`);
    const planP50 = percentile(
      flips.map((f) => f.planMs),
      50,
    );
    const outsideP50 = percentile(flips.map(outsideSteps), 50);
    console.log(
      `fast flip x${FLIPS}: p50 ${p50.toFixed(1)} ms, p95 ${p95.toFixed(1)} ms (planning p50 ${planP50.toFixed(1)} ms, ` +
        `outside steps p50 ${outsideP50.toFixed(1)} ms); step medians (ms): ${stepProfile(flips.map((f) => f.events))}`,
    );
    console.log(
      `one incus exec round trip into ${LAB_HAPROXY.container} (through driver-incus): p50 ${percentile(
        execs,
        50,
      ).toFixed(1)} ms; a flip runs one, in render-validate (haproxy -c)`,
    );
    console.log(
      `redeploy: ${redeployS.toFixed(2)} s (planning ${path2.planMs.toFixed(0)} ms); steps (ms): ${stepProfile([path2.events])}`,
    );
    const missed = [
      p50 > TARGETS.p50 ? `fast flip p50 ${p50.toFixed(0)} ms > ${TARGETS.p50} ms` : "",
      p95 > TARGETS.p95 ? `fast flip p95 ${p95.toFixed(0)} ms > ${TARGETS.p95} ms` : "",
      redeployS > TARGETS.redeployS ? `redeploy ${redeployS.toFixed(1)} s > ${TARGETS.redeployS} s` : "",
      failed > 0 ? `${failed} failed requests` : "",
    ].filter(Boolean);
    console.log(missed.length > 0 ? `targets missed: ${missed.join("; ")}` : "targets met");
    if (failed > 0) process.exitCode = 1;
    console.log(
      `lab fast_flip_p50_ms=${Math.round(p50)} fast_flip_p95_ms=${Math.round(p95)} redeploy_s=${redeployS.toFixed(
        1,
      )} requests=${requests} failed=${failed}`,
    );
  } finally {
    await resetLab(d);
    await d.host.close();
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((cause: unknown) => {
  console.error(cause);
  process.exitCode = 1;
});
