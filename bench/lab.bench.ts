/**
 * `pnpm bench:lab`: the runbook's paths end to end on the lab (real Incus, HAProxy inside
 * `veza-lab-haproxy`, the fake registry), through the recipes and the runner with a
 * file journal (fsync'd before every change and at the end) and a file lease lock, as an on-call engineer would run
 * them:
 *
 * - Path 1 (`fastFlip` planning + `runPlan`) ≥ 20 times, flipping blue ↔ green, while wrk
 *   (Debian's, loopback only, bounded duration) keeps a steady load on the public URL
 *   through the lab's HAProxy;
 * - interleaved with those, the same Path 1 with the team's coordination store
 *   (`createIncusCoordination`: the Incus lease and journal) instead of the local files;
 * - Path 1 ≥ 20 times in runtime-map mode (`labTrafficSwitch(…, { mode: "map" })` after
 *   `labEdgeToMapMode` installed and reloaded the map-mode `haproxy.cfg` once): no `haproxy -c`, no
 *   reload — the map pushed over the stats socket, confirmed with `show map`, recorded,
 *   and the public probe; the map file on disk follows, so a later reload keeps the flip;
 * - Path 1 over the lab's fleet of three HAProxy edges (`fleetFlip`: every edge prepared,
 *   then committed and confirmed in parallel, then recorded) ≥ 20 times, in reload mode like
 *   the single-edge flips and under the same wrk load: its 4 paced connections spread over
 *   the edges (2+1+1), so every edge is under load; after every other one, edge 1 alone
 *   flips there and back (the fast flip) under that same load, as a same-conditions reference;
 * - then the same over the fleet in runtime-map mode (`labFleetToMapMode`, `labFleetDrivers({
 *   mode: "map" })`): prepare-edges writes each candidate map and checks it against its running
 *   HAProxy (`show backend;show map`), commit-edges renames it and pushes it (`prepare map`,
 *   `add map`, `commit map`) on every edge at once, then `show map` on each; edge 1 alone
 *   flips in map mode between them, under new loads spread the same way; then back to
 *   reload mode (`labFleetToReloadMode`);
 * - Path 2 native redeploy of an older SHA once (`redeploy` planning + `runPlan`).
 *
 * Interleaved with the flips, the floor under them is measured without the SDK's switch
 * (bench/lab-flip-floor.ts), over the same channel the driver uses (driver-incus's exec
 * and SFTP, the sockets' proxy devices): a file write, `haproxy -c` in the container,
 * the rename, a reload until the new worker answers, the public probe (map mode: the
 * write, one `set map`/`show map` round trip, the probe). `floor_ms` sums their medians
 * and `floor_ratio = p50 / floor_ms`. In map mode the **path floor** adds what the runbook
 * requires around those: the pre-checks and the validation at once (the target's
 * containers from Incus, the state files read, `show backend;show map`) before, the
 * previous map kept (`.prev`) with the write, the record (the active color, then the
 * history) after — Path 1 done directly, without plan, lease, fence or journal. The
 * per-step medians, the time runs spend outside their steps and one `incus exec` round
 * trip say where the rest goes. In the fleet's
 * rounds (both modes) the same operations are measured on every edge at once after each
 * fleet flip (the **fleet floor**, bench/fleet-flip-floor.ts) and on edge 1 alone in each
 * round (its floor under the fleet's load), both timed in the fleet flip's phases:
 * prepare (each edge's write then `haproxy -c`, the edges in parallel; map mode: every map
 * written at once), commit (each edge's rename then master-CLI `reload` in parallel, then
 * each new worker awaited in turn; map mode: one `set map`/`show map` on every edge at
 * once), then the public probe (edge 1's URL, as the fleet flip's). The floor scale (fleet floor over edge
 * 1's) is what three edges' raw operations at once cost against one edge's on this
 * machine, printed beside the fleet flip's ratio, with the fleet p50 over the fleet
 * floor. Last line:
 * `lab fast_flip_p50_ms=<n> fast_flip_p95_ms=<n> redeploy_s=<n> requests=<n> failed=<n>
 * fast_flip_floor_ms=<n> fast_flip_floor_ratio=<n> map_flip_p50_ms=<n> map_flip_floor_ms=<n>
 * map_flip_floor_ratio=<n> map_path_floor_ms=<n> map_path_floor_ratio=<n>
 * fast_flip_team_p50_ms=<n> fleet_flip_p50_ms=<n> edges=<n> fleet_failed=<n>
 * fleet_map_flip_p50_ms=<n> fleet_map_ratio=<n> fleet_floor_ms=<n> fleet_floor_scale=<n>
 * fleet_map_floor_ms=<n> fleet_map_floor_scale=<n> machine_busy_pct=<n> spawn_ms=<n>`
 * (failed: wrk socket errors plus non-2xx responses; fleet_failed: the same over every edge's load during the fleet flips of both
 * modes; the loads' requests per second are printed; fleet_flip_p50_ms is the reload-mode
 * fleet's, fleet_map_flip_p50_ms the map-mode fleet's and fleet_map_ratio it over edge 1
 * alone's map flip under the same fleet load; fleet_floor_ms and fleet_map_floor_ms are the
 * fleet floors of each mode, fleet_floor_scale and fleet_map_floor_scale each over edge 1's
 * floor in the same rounds; machine_busy_pct and spawn_ms: bench/machine-baseline.ts, sampled
 * once the lab is up, before any load). Targets: fast flip p50 ≤ 150 ms, p95 ≤ 250 ms,
 * floor ratio ≤ 1.5; map flip p50 ≤ 40 ms; team p50 ≤ 1.5 × fast flip p50; fleet flip p50 ≤
 * 1.3 × fast flip p50 (the edges flip in parallel, not in turn); fleet map flip p50 ≤ 1.3 ×
 * edge 1 alone's map flip (fleet_map_ratio); redeploy ≤ 15 s; failed = fleet_failed = 0.
 * Both modes' fleet ratios are printed, against the single flip of their own mode.
 * Needs `scripts/backends up incus haproxy` and wrk (`apt-get install wrk`); brings the lab
 * up itself and leaves it reset (routing through the reload-mode config).
 */
import type { ChildProcess } from "node:child_process";
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
import { fastFlip, fleetFlip, redeploy } from "@backflip/core/recipes";
import { createIncusCoordination } from "@backflip/driver-incus";
import { type LabDrivers, labTrafficSwitch } from "../lab/src/lab-drivers";
import { type LabFleetDrivers, labFleetDrivers, resetLabFleet } from "../lab/src/lab-fleet";
import {
  labEdgeToMapMode,
  labEdgeToReloadMode,
  labFleetToMapMode,
  labFleetToReloadMode,
} from "../lab/src/lab-haproxy-mode";
import { LAB_RELEASES } from "../lab/src/lab-releases";
import { resetLab } from "../lab/src/lab-reset";
import { LAB_EDGES, LAB_HAPROXY } from "../lab/src/lab-settings";
import { labUp, waitHealthy } from "../lab/src/lab-up";
import { type Coordination, CoordinationTimes } from "./coordination-times";
import { startEdgeLoads } from "./edge-loads";
import { FLEET_FLOOR_OPS, type FleetFloorOp, fleetMapFloor, fleetReloadFloor } from "./fleet-flip-floor";
import { FloorSamples } from "./floor-samples";
import {
  LAB_MAP_FLOOR_OPS,
  LAB_MAP_PATH_OPS,
  LAB_RELOAD_FLOOR_OPS,
  type LabHaproxy,
  labEdgeHaproxy,
  labExecRoundTrip,
  labMapFloor,
  labMapPathFloor,
  labReloadFloor,
} from "./lab-flip-floor";
import { describeBaseline, machineBaseline } from "./machine-baseline";
import { startWrkLoad, WRK_CONNECTIONS } from "./wrk-load";

const FLIPS = 24;
const WRK_MAX_S = 600;
const TARGETS = {
  p50: 150,
  p95: 250,
  redeployS: 15,
  floorRatio: 1.5,
  mapP50: 40,
  teamFactor: 1.5,
  fleetFactor: 1.3,
} as const;
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

/** The local-file journal and lease lock under `dir` (a laptop's own). */
const localCoordination = (dir: string): Coordination => ({
  journal: new FileJournal({ dir: join(dir, "journal") }),
  lock: new FileLeaseLock({ dir: join(dir, "locks") }),
});

type Timed = { ms: number; planMs: number; events: RunEvent[] };

/** Plans and runs one recipe; its wall time (planning + run), the run's events and the planning time. */
async function timed(
  coordination: Coordination,
  plan: () => ReturnType<typeof fastFlip>,
  what: string,
): Promise<Timed> {
  const events: RunEvent[] = [];
  const t0 = performance.now();
  const p = unwrapPlan(await plan(), what);
  const planMs = performance.now() - t0;
  const r = await runPlan(p, {
    ...coordination,
    owner: "bench",
    onEvent: (e) => events.push(e),
  });
  const ms = performance.now() - t0;
  if (r.isErr()) throw new Error(`${what}: ${r.error.kind}: ${r.error.message}`);
  return { ms, planMs, events };
}

/** One round's floors beside the flips: on every edge at once, and on edge 1 alone (round `i`, the fleet's color). */
interface RoundFloors {
  fleet(i: number, color: string): Promise<void>;
  edge(i: number, color: string): Promise<void>;
}

/**
 * {@link FLIPS} fleet flips over `fleet`, each followed by the fleet floor; after every
 * other one, edge 1 alone flips there and back (the fast flip's plan on `edge1`'s switch)
 * under the same load; then, every round, edge 1's floor: the fleet's cost beside the
 * single-edge flip's, and the raw operations' likewise, the machine's load being the
 * same for all.
 */
async function fleetRounds(
  coordination: Coordination,
  fleet: LabFleetDrivers,
  edge1: LabDrivers,
  floors: RoundFloors,
  what: string,
): Promise<{ fleet: Timed[]; edge: Timed[] }> {
  const fleetFlips: Timed[] = [];
  const edgeFlips: Timed[] = [];
  const color = async () => (await fleet.traffic.readState())._unsafeUnwrap().activeColor;
  for (let i = 0; i < FLIPS; i++) {
    fleetFlips.push(
      await timed(coordination, () => fleetFlip(fleet.topology, fleet, who), `${what}fleet flip ${i + 1}`),
    );
    await sleep(100);
    await floors.fleet(i, await color());
    await sleep(100);
    for (const way of i % 2 === 0 ? ["there", "back"] : []) {
      edgeFlips.push(
        await timed(
          coordination,
          () => fastFlip(edge1.topology, edge1, who),
          `${what}edge 1 flip ${way} ${i + 1}`,
        ),
      );
      await sleep(100);
    }
    await floors.edge(i, await color());
    await sleep(100);
  }
  return { fleet: fleetFlips, edge: edgeFlips };
}

/** `<fleet floor>; edge 1 alone: <its floor>; floor scale <n> × (per phase …)` for one mode's floors. */
function describeFleetFloors(fleet: FloorSamples<FleetFloorOp>, edge: FloorSamples<FleetFloorOp>): string {
  const phases = FLEET_FLOOR_OPS.map((op) => `${op} ${(fleet.median(op) / edge.median(op)).toFixed(2)}`);
  return (
    `${LAB_EDGES.length} edges at once: ${fleet.describe()}; edge 1 alone: ${edge.describe()}; ` +
    `floor scale ${(fleet.floorMs() / edge.floorMs()).toFixed(2)} × (per phase: ${phases.join(", ")})`
  );
}

async function main(): Promise<void> {
  const up = await labUp();
  if (up.isErr())
    throw new Error(`lab up: ${formatDriverError(up.error)} (needs scripts/backends up incus haproxy)`);
  const d: LabDrivers = up.value;
  // The lab up and idle: what the machine already does, and what one process costs on it.
  const machine = await machineBaseline();
  console.log(describeBaseline(machine));
  const dir = await mkdtemp(join(tmpdir(), "backflip-bench-lab-"));
  let wrkChild: ChildProcess | undefined;
  const fleetWrk: ChildProcess[] = [];
  const dFleet = labFleetDrivers({ markerPath: join(dir, "fleet.degraded") })._unsafeUnwrap();
  let dFleetMap: LabFleetDrivers | undefined;
  try {
    (await resetLab(d))._unsafeUnwrap();

    const mapSw = labTrafficSwitch(d.host, d.topology, { mode: "map" })._unsafeUnwrap();
    const haproxy: LabHaproxy = labEdgeHaproxy(d.host, d.topology, LAB_EDGES[0])._unsafeUnwrap();
    const team = createIncusCoordination({ prefix: "benchlab", actor: "bench" })._unsafeUnwrap();
    const local = localCoordination(dir);
    // The runner's lease and journal calls, timed apart for the fast and the map flips.
    const fastTimes = new CoordinationTimes();
    const mapTimes = new CoordinationTimes();
    const fastLocal = fastTimes.wrap(local);
    const mapLocal = mapTimes.wrap(local);
    const execs = new FloorSamples(["exec"] as const);
    const reloadFloors = new FloorSamples(LAB_RELOAD_FLOOR_OPS);
    const mapFloors = new FloorSamples(LAB_MAP_FLOOR_OPS);
    const mapPathFloors = new FloorSamples(LAB_MAP_PATH_OPS);
    const activeColor = async () => (await d.traffic.readState())._unsafeUnwrap().activeColor;

    // A steady load through the lab's HAProxy.
    const wrk = await startWrkLoad({ bin: "wrk", url: d.topology.publicHealthUrl, maxS: WRK_MAX_S, dir });
    wrkChild = wrk.child;

    // Reload mode: a flip with local files, its floor, a flip with the team's store, in turn.
    const flips: Timed[] = [];
    const teamFlips: Timed[] = [];
    for (let i = 0; i < FLIPS; i++) {
      flips.push(await timed(fastLocal, () => fastFlip(d.topology, d, who), `fast flip ${i + 1}`));
      await sleep(100);
      await execs.time("exec", () => labExecRoundTrip(haproxy));
      await labReloadFloor(haproxy, reloadFloors, await activeColor(), i);
      await sleep(100);
      teamFlips.push(await timed(team, () => fastFlip(d.topology, d, who), `team fast flip ${i + 1}`));
      // The finished run's move to the archive (background writes) ends here, untimed, so
      // it does not slow the next local-files flip.
      await team.journal.settle();
      await sleep(100);
    }

    // Runtime-map mode: the map-mode haproxy.cfg and its map installed and reloaded once.
    (await labEdgeToMapMode(d.host, d.topology))._unsafeUnwrap();
    const dMap: LabDrivers = { ...d, traffic: mapSw };
    const mapFlips: Timed[] = [];
    for (let i = 0; i < FLIPS; i++) {
      mapFlips.push(await timed(mapLocal, () => fastFlip(d.topology, dMap, who), `map flip ${i + 1}`));
      await sleep(100);
      await labMapFloor(
        haproxy,
        mapFloors,
        d.topology.containers.components[0] as string,
        await activeColor(),
      );
      await sleep(100);
      await labMapPathFloor(
        haproxy,
        d.host,
        d.topology,
        mapPathFloors,
        d.topology.containers.components[0] as string,
      );
      await sleep(100);
    }
    // A reload after the map flips keeps the last one: HAProxy loads the map file the flip left on disk.
    const lastMap = (await mapSw.installedRevision())._unsafeUnwrap();
    (await d.traffic.reload())._unsafeUnwrap();
    (await mapSw.confirm(lastMap ?? ""))._unsafeUnwrap();
    (
      await waitHealthy(d.probe, d.topology.publicHealthUrl, `"color":"${await activeColor()}"`)
    )._unsafeUnwrap();
    console.log(`a reload after the map flips kept the last one (map revision ${lastMap})`);
    // Not at once: a master-CLI `reload` sent right after this one's worker answered was
    // refused (EPIPE / ECONNRESET through the proxy device) in two runs out of two.
    await sleep(1000);
    (await labEdgeToReloadMode(d.host, d.topology))._unsafeUnwrap();
    await sleep(500);
    const { report, requests, failed } = await wrk.stop();
    (await team.close())._unsafeUnwrap();

    // The fleet: Path 1 over the three edges at once, under the single-edge flips' load
    // (WRK_CONNECTIONS paced connections) spread over the edges, each edge getting at least one.
    (await resetLabFleet(dFleet))._unsafeUnwrap();
    const fleetConnections = LAB_EDGES.map((_, i) =>
      Math.max(
        1,
        Math.floor(WRK_CONNECTIONS / LAB_EDGES.length) + (i < WRK_CONNECTIONS % LAB_EDGES.length ? 1 : 0),
      ),
    );
    const fleetLoads = await startEdgeLoads(dFleet.topology, dir, "reload", WRK_MAX_S, fleetConnections);
    fleetWrk.push(...fleetLoads.map((l) => l.child));
    // The floors beside the fleet flips: every edge's HAProxy reached as the floor reaches
    // edge 1's, edge 1's alone through the same channel.
    const edgeHaproxies = LAB_EDGES.map((edge) =>
      labEdgeHaproxy(dFleet.host, dFleet.topology, edge)._unsafeUnwrap(),
    );
    const edge1Haproxy = edgeHaproxies.slice(0, 1);
    const fleetFloors = new FloorSamples(FLEET_FLOOR_OPS);
    const edge1Floors = new FloorSamples(FLEET_FLOOR_OPS);
    const reloadRounds = await fleetRounds(
      local,
      dFleet,
      d,
      {
        fleet: (i, color) =>
          fleetReloadFloor(edgeHaproxies, fleetFloors, color, `fleet-floor-${process.pid}-${i}`),
        edge: (i, color) =>
          fleetReloadFloor(edge1Haproxy, edge1Floors, color, `edge-floor-${process.pid}-${i}`),
      },
      "",
    );
    const fleetFlips = reloadRounds.fleet;
    const edgeFlips = reloadRounds.edge;
    const fleetWrkResults = await Promise.all(fleetLoads.map((l) => l.stop()));

    // The fleet in runtime-map mode: every edge's map-mode haproxy.cfg and map installed and
    // reloaded once (after a pause: see above), then the same rounds under the same load,
    // edge 1 alone flipping in map mode too.
    await sleep(1000);
    (await labFleetToMapMode(dFleet.host, dFleet.topology))._unsafeUnwrap();
    dFleetMap = labFleetDrivers({ markerPath: join(dir, "fleet.degraded"), mode: "map" })._unsafeUnwrap();
    const fleetMapLoads = await startEdgeLoads(dFleet.topology, dir, "map", WRK_MAX_S, fleetConnections);
    fleetWrk.push(...fleetMapLoads.map((l) => l.child));
    const mapKey = d.topology.containers.components[0] as string;
    const fleetMapFloors = new FloorSamples(FLEET_FLOOR_OPS);
    const edge1MapFloors = new FloorSamples(FLEET_FLOOR_OPS);
    const mapRounds = await fleetRounds(
      local,
      dFleetMap,
      dMap,
      {
        fleet: (_, color) => fleetMapFloor(edgeHaproxies, fleetMapFloors, mapKey, color),
        edge: (_, color) => fleetMapFloor(edge1Haproxy, edge1MapFloors, mapKey, color),
      },
      "map ",
    );
    const fleetMapWrkResults = await Promise.all(fleetMapLoads.map((l) => l.stop()));
    await sleep(1000);
    (await labFleetToReloadMode(dFleet.host, dFleet.topology))._unsafeUnwrap();
    const fleetFailedReload = fleetWrkResults.reduce((n, r) => n + r.failed, 0);
    const fleetFailedMap = fleetMapWrkResults.reduce((n, r) => n + r.failed, 0);
    const fleetFailed = fleetFailedReload + fleetFailedMap;

    (await resetLab(d))._unsafeUnwrap();
    const probe = { attempts: 60, deadlineMs: 30_000, intervalMs: 100 };
    const path2 = await timed(
      local,
      () => redeploy(d.topology, d, { ...who, sha: LAB_RELEASES.old, probe }),
      "redeploy",
    );

    const totals = flips.map((f) => f.ms);
    const p50 = percentile(totals, 50);
    const p95 = percentile(totals, 95);
    const floorMs = reloadFloors.floorMs();
    const floorRatio = p50 / floorMs;
    const mapP50 = percentile(
      mapFlips.map((f) => f.ms),
      50,
    );
    const mapP95 = percentile(
      mapFlips.map((f) => f.ms),
      95,
    );
    const mapFloorMs = mapFloors.floorMs();
    const mapPathFloorMs = mapPathFloors.floorMs();
    const teamP50 = percentile(
      teamFlips.map((f) => f.ms),
      50,
    );
    const redeployS = path2.ms / 1000;
    const fleetP50 = percentile(
      fleetFlips.map((f) => f.ms),
      50,
    );
    console.log(`wrk: ${report.trim().split("\n").join(" | ")}`);
    const planP50 = percentile(
      flips.map((f) => f.planMs),
      50,
    );
    const outsideP50 = percentile(flips.map(outsideSteps), 50);
    console.log(
      `fast flip x${FLIPS}: p50 ${p50.toFixed(1)} ms, p95 ${p95.toFixed(1)} ms (planning p50 ${planP50.toFixed(1)} ms, ` +
        `outside steps p50 ${outsideP50.toFixed(1)} ms); step medians (ms): ${stepProfile(flips.map((f) => f.events))}; ` +
        `the runner's lock and journal per run: ${fastTimes.describe(FLIPS)} (${fastTimes.perRunMs(FLIPS).toFixed(1)} ms)`,
    );
    console.log(
      `reload floor (direct, over driver-incus's exec and SFTP and the socket devices): ${reloadFloors.describe()}`,
    );
    console.log(
      `one incus exec round trip into ${LAB_HAPROXY.container} (through driver-incus): p50 ${execs
        .median("exec")
        .toFixed(1)} ms; a reload-mode flip runs one, in render-validate (haproxy -c)`,
    );
    console.log(
      `map flip x${FLIPS}: p50 ${mapP50.toFixed(1)} ms, p95 ${mapP95.toFixed(1)} ms (planning p50 ${percentile(
        mapFlips.map((f) => f.planMs),
        50,
      ).toFixed(1)} ms, outside steps p50 ${percentile(mapFlips.map(outsideSteps), 50).toFixed(1)} ms); ` +
        `step medians (ms): ${stepProfile(mapFlips.map((f) => f.events))}; ` +
        `the runner's lock and journal per run: ${mapTimes.describe(FLIPS)} (${mapTimes.perRunMs(FLIPS).toFixed(1)} ms)`,
    );
    console.log(`map floor (direct): ${mapFloors.describe()}`);
    console.log(
      `map path floor (Path 1's required operations in map mode done directly, no plan, lease, fence or journal): ` +
        `${mapPathFloors.describe()}; map flip p50 / map path floor ${(mapP50 / mapPathFloorMs).toFixed(2)}`,
    );
    console.log(
      `team fast flip x${FLIPS} (Incus lease + journal): p50 ${teamP50.toFixed(1)} ms, p95 ${percentile(
        teamFlips.map((f) => f.ms),
        95,
      ).toFixed(1)} ms (outside steps p50 ${percentile(teamFlips.map(outsideSteps), 50).toFixed(1)} ms); ` +
        `step medians (ms): ${stepProfile(teamFlips.map((f) => f.events))}`,
    );
    const perSecond = (r: { report: string }) => Number(/Requests\/sec:\s+([\d.]+)/.exec(r.report)?.[1] ?? 0);
    console.log(
      `load: single-edge flips ${WRK_CONNECTIONS} wrk connections on edge 1 (${perSecond({ report }).toFixed(0)} req/s); ` +
        `fleet flips ${fleetWrkResults.length} loads of ${fleetConnections.join("+")} connections, in reload mode ` +
        `(${fleetWrkResults.map((r) => perSecond(r).toFixed(0)).join(" + ")} req/s, ` +
        `${fleetWrkResults.reduce((n, r) => n + r.requests, 0)} requests, ${fleetFailedReload} failed) and in map mode ` +
        `(${fleetMapWrkResults.map((r) => perSecond(r).toFixed(0)).join(" + ")} req/s, ` +
        `${fleetMapWrkResults.reduce((n, r) => n + r.requests, 0)} requests, ${fleetFailedMap} failed)`,
    );
    console.log(
      `fleet flip x${FLIPS} over ${LAB_EDGES.length} edges (reload mode, like the fast flips): p50 ${fleetP50.toFixed(1)} ms, p95 ${percentile(
        fleetFlips.map((f) => f.ms),
        95,
      ).toFixed(1)} ms (${(fleetP50 / p50).toFixed(2)} × fast flip p50); step medians (ms): ${stepProfile(
        fleetFlips.map((f) => f.events),
      )}`,
    );
    const edgeP50 = percentile(
      edgeFlips.map((f) => f.ms),
      50,
    );
    console.log(
      `edge 1 alone x${edgeFlips.length}, between the fleet flips under the fleet's load (the fast flip's plan): ` +
        `p50 ${edgeP50.toFixed(1)} ms — the fleet flip is ${(fleetP50 / edgeP50).toFixed(2)} × it; step medians (ms): ${stepProfile(
          edgeFlips.map((f) => f.events),
        )}`,
    );
    const fleetFloorMs = fleetFloors.floorMs();
    const fleetFloorScale = fleetFloorMs / edge1Floors.floorMs();
    console.log(
      `fleet floor (reload mode, no SDK, in the fleet flip's phases, under the fleet's load): ${describeFleetFloors(
        fleetFloors,
        edge1Floors,
      )}; fleet flip p50 / fleet floor ${(fleetP50 / fleetFloorMs).toFixed(2)}, edge 1 alone's flip p50 / its floor ${(
        edgeP50 / edge1Floors.floorMs()
      ).toFixed(2)}`,
    );
    const fleetMapP50 = percentile(
      mapRounds.fleet.map((f) => f.ms),
      50,
    );
    const edgeMapP50 = percentile(
      mapRounds.edge.map((f) => f.ms),
      50,
    );
    const fleetMapRatio = fleetMapP50 / edgeMapP50;
    console.log(
      `fleet map flip x${FLIPS} over ${LAB_EDGES.length} edges (runtime-map mode, like the map flips): p50 ${fleetMapP50.toFixed(1)} ms, ` +
        `p95 ${percentile(
          mapRounds.fleet.map((f) => f.ms),
          95,
        ).toFixed(
          1,
        )} ms (${(fleetMapP50 / mapP50).toFixed(2)} × map flip p50); step medians (ms): ${stepProfile(
          mapRounds.fleet.map((f) => f.events),
        )}`,
    );
    console.log(
      `edge 1 alone in map mode x${mapRounds.edge.length}, between the fleet map flips under the fleet's load: ` +
        `p50 ${edgeMapP50.toFixed(1)} ms — the fleet map flip is ${fleetMapRatio.toFixed(2)} × it; step medians (ms): ${stepProfile(
          mapRounds.edge.map((f) => f.events),
        )}`,
    );
    const fleetMapFloorMs = fleetMapFloors.floorMs();
    const fleetMapFloorScale = fleetMapFloorMs / edge1MapFloors.floorMs();
    console.log(
      `fleet map floor (runtime-map mode, no SDK, in the fleet map flip's phases, under the fleet's load): ${describeFleetFloors(
        fleetMapFloors,
        edge1MapFloors,
      )}; fleet map flip p50 / fleet map floor ${(fleetMapP50 / fleetMapFloorMs).toFixed(2)}, edge 1 alone's map flip p50 / its floor ${(
        edgeMapP50 / edge1MapFloors.floorMs()
      ).toFixed(2)}`,
    );
    const held = (ratio: number) =>
      `${ratio.toFixed(2)} ×: ${ratio <= TARGETS.fleetFactor ? "holds" : "does not hold"}`;
    console.log(
      `fleet ≤ ${TARGETS.fleetFactor} × one edge: reload mode ${held(fleetP50 / p50)} against the fast flip ` +
        `(${held(fleetP50 / edgeP50)} against edge 1 alone under the fleet's load); map mode ${held(fleetMapRatio)} ` +
        `against edge 1 alone in map mode under the fleet's load (${held(fleetMapP50 / mapP50)} against the map flip)`,
    );
    console.log(
      `redeploy: ${redeployS.toFixed(2)} s (planning ${path2.planMs.toFixed(0)} ms); steps (ms): ${stepProfile([path2.events])}`,
    );
    /** Says so when the operations measured directly alone already take longer than a target. */
    const beyond = (floor: number, target: number, what: string) =>
      floor > target ? ` (${what} alone is ${floor.toFixed(0)} ms on this machine)` : "";
    const missed = [
      p50 > TARGETS.p50
        ? `fast flip p50 ${p50.toFixed(0)} ms > ${TARGETS.p50} ms${beyond(floorMs, TARGETS.p50, "its floor")}`
        : "",
      p95 > TARGETS.p95
        ? `fast flip p95 ${p95.toFixed(0)} ms > ${TARGETS.p95} ms${beyond(floorMs, TARGETS.p95, "its floor")}`
        : "",
      floorRatio > TARGETS.floorRatio
        ? `fast flip floor ratio ${floorRatio.toFixed(2)} > ${TARGETS.floorRatio}`
        : "",
      mapP50 > TARGETS.mapP50
        ? `map flip p50 ${mapP50.toFixed(0)} ms > ${TARGETS.mapP50} ms${beyond(mapPathFloorMs, TARGETS.mapP50, "its path floor")}`
        : "",
      teamP50 > TARGETS.teamFactor * p50
        ? `team flip p50 ${teamP50.toFixed(0)} ms > ${TARGETS.teamFactor} × fast flip p50`
        : "",
      fleetP50 > TARGETS.fleetFactor * p50
        ? `fleet flip p50 ${fleetP50.toFixed(0)} ms > ${TARGETS.fleetFactor} × fast flip p50`
        : "",
      fleetMapRatio > TARGETS.fleetFactor
        ? `fleet map flip p50 ${fleetMapP50.toFixed(0)} ms > ${TARGETS.fleetFactor} × edge 1 alone in map mode`
        : "",
      fleetFailed > 0 ? `${fleetFailed} failed requests on the fleet's edges` : "",
      redeployS > TARGETS.redeployS ? `redeploy ${redeployS.toFixed(1)} s > ${TARGETS.redeployS} s` : "",
      failed > 0 ? `${failed} failed requests` : "",
    ].filter(Boolean);
    console.log(missed.length > 0 ? `targets missed: ${missed.join("; ")}` : "targets met");
    if (failed > 0 || fleetFailed > 0) process.exitCode = 1;
    console.log(
      `lab fast_flip_p50_ms=${Math.round(p50)} fast_flip_p95_ms=${Math.round(p95)} redeploy_s=${redeployS.toFixed(
        1,
      )} requests=${requests} failed=${failed} fast_flip_floor_ms=${Math.round(floorMs)} ` +
        `fast_flip_floor_ratio=${floorRatio.toFixed(2)} map_flip_p50_ms=${Math.round(mapP50)} ` +
        `map_flip_floor_ms=${Math.round(mapFloorMs)} map_flip_floor_ratio=${(mapP50 / mapFloorMs).toFixed(2)} ` +
        `map_path_floor_ms=${Math.round(mapPathFloorMs)} map_path_floor_ratio=${(mapP50 / mapPathFloorMs).toFixed(2)} ` +
        `fast_flip_team_p50_ms=${Math.round(teamP50)} fleet_flip_p50_ms=${Math.round(fleetP50)} ` +
        `edges=${LAB_EDGES.length} fleet_failed=${fleetFailed} fleet_map_flip_p50_ms=${Math.round(fleetMapP50)} ` +
        `fleet_map_ratio=${fleetMapRatio.toFixed(2)} fleet_floor_ms=${Math.round(fleetFloorMs)} ` +
        `fleet_floor_scale=${fleetFloorScale.toFixed(2)} fleet_map_floor_ms=${Math.round(fleetMapFloorMs)} ` +
        `fleet_map_floor_scale=${fleetMapFloorScale.toFixed(2)} machine_busy_pct=${Math.round(machine.busyShare * 100)} ` +
        `spawn_ms=${machine.spawnMs.toFixed(1)}`,
    );
  } finally {
    // A failed run must not leave wrk loading the lab (and this process alive) for WRK_MAX_S.
    for (const child of [wrkChild, ...fleetWrk])
      if (child?.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    await labFleetToReloadMode(dFleet.host, dFleet.topology);
    await resetLab(d);
    await d.host.close();
    await dFleet.host.close();
    await dFleetMap?.host.close();
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((cause: unknown) => {
  console.error(cause);
  process.exitCode = 1;
});
