/**
 * `pnpm bench:flip`: a real HAProxy 2.6 (master-worker) in front of two loopback HTTP
 * backends (blue, green), wrk keeping load on it the whole time, and the driver flipping
 * traffic ≥ 20 times in reload mode, then ≥ 20 times in runtime-map mode.
 *
 * A reload-mode flip is render + validate (`haproxy -c`) + install (atomic swap, previous
 * kept) + reload (USR2 to the master) + confirm (`get var proc.cfg_rev` until the new
 * worker answers). A map-mode flip is render + validate (backends exist in the running
 * process) + install (map file swapped atomically) + reload (prepare/add/commit map) +
 * confirm (`show map`). The driver runs through core's LocalShell (its `files`
 * capability: system calls, no process per file operation), the direct unix-socket
 * runtime API and `localProcessSignals` (USR2 sent by this process): the only process a
 * flip starts is `haproxy -c`. After every flip a probe
 * request checks the new color answers.
 *
 * Then the same under driver-nginx: a real nginx 1.22 in front of the same two backends,
 * the same wrk load on it, 8 flips with client keep-alive (for reference: a stopping
 * nginx worker closes idle keep-alive connections, failing requests sent on them), then
 * ≥ 20 flips with `keepalive_timeout 0` (see bench/nginx-flips.ts), printing
 * `nginx reload_p50_ms=<n> requests=<n> failed=<n>` (needs `scripts/backends up nginx`).
 *
 * The backends, HAProxy and wrk run in their own sessions, as services do. In this
 * process's session they shared its scheduler group (Linux autogroup), and under load a
 * command started in a new session (LocalShell does, to kill a whole process group on a
 * timeout) ran ~1.6× slower than the floor's, started in this session: most of what made
 * validate cost 2–3× a direct `haproxy -c` in earlier runs. The same check in a new
 * session is printed beside the floor.
 *
 * Interleaved with the flips, the floor under them is measured directly, without the SDK
 * (bench/local-flip-floor.ts): after each reload-mode flip a re-stamped copy of the live
 * config written and fsynced, `haproxy -c` of it, its rename over the live file, USR2
 * and `get var proc.cfg_rev` until the new worker answers; after each map-mode flip the
 * map file written and renamed, and one `set map`/`show map` round trip. `floor_ms` sums
 * the operations' medians and `floor_ratio = p50 / floor_ms`: on a loaded machine both
 * move, the ratio much less.
 *
 * Last line: `flip reload_p50_ms=<n> map_p50_ms=<n> requests=<n> failed=<n>
 * reload_floor_ms=<n> reload_floor_ratio=<n> map_floor_ms=<n> map_floor_ratio=<n>
 * machine_busy_pct=<n> spawn_ms=<n>` (failed: wrk socket errors plus non-2xx responses;
 * machine_busy_pct and spawn_ms: bench/machine-baseline.ts, sampled before anything
 * starts). Targets: failed=0, reload p50 ≤ 100 ms,
 * reload floor ratio ≤ 1.5, map p50 ≤ 10 ms. Needs `scripts/backends up haproxy`. Ports 18480-18482.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { LocalShell, type SwitchRequest, type TrafficSwitch } from "@backflip/core";
import { backendEnv } from "@backflip/core/testing";
import {
  createHaproxySwitch,
  type HaproxySwitchOptions,
  localProcessSignals,
  unixSocketRuntimeApi,
} from "@backflip/driver-haproxy";
import { FloorSamples } from "./floor-samples";
import { MAP_FLOOR_OPS, mapFloor, RELOAD_FLOOR_OPS, reloadFloor } from "./local-flip-floor";
import { describeBaseline, machineBaseline } from "./machine-baseline";
import { runNginxFlips } from "./nginx-flips";
import { waitUntil } from "./wait-until";
import { startWrkLoad } from "./wrk-load";

const FRONTEND = 18480;
const PORTS = { blue: 18481, green: 18482 } as const;
const FLIPS = 24;
const UNTUNED_FLIPS = 8;
/** A one-CA bundle for HAProxy's internal HTTP client (`httpClientCaFile`), so it skips the system store. */
const CA_CANDIDATES = [
  "/etc/ssl/certs/ISRG_Root_X1.pem",
  "/usr/share/ca-certificates/mozilla/ISRG_Root_X1.crt",
];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One tiny HTTP server answering with its color, run as its own node process (`node -e`). */
const COLOR_SERVER = `
const [color, port] = process.argv.slice(1);
require("node:http")
  .createServer((_req, res) => {
    res.writeHead(200, { "content-type": "text/plain", "content-length": String(color.length) });
    res.end(color);
  })
  .listen(Number(port), "127.0.0.1");
`;

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
};
const ms = (n: number) => n.toFixed(1);

function unwrap<T>(result: { isOk(): boolean; value?: T; error?: { message: string } }, what: string): T {
  if (!result.isOk()) throw new Error(`${what}: ${result.error?.message}`);
  return result.value as T;
}

async function probe(): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${FRONTEND}/`, { headers: { connection: "close" } });
  return res.text();
}

/** The phases of one flip, in milliseconds. */
interface FlipTimes {
  readonly total: number;
  readonly phases: Readonly<Record<(typeof PHASES)[number], number>>;
}
const PHASES = ["render", "validate", "install", "reload", "confirm"] as const;

/** One timed flip through the driver: render, validate, install, reload, confirm; then record (untimed). */
async function flip(sw: TrafficSwitch, request: SwitchRequest): Promise<FlipTimes> {
  const marks = [performance.now()];
  const config = unwrap(await sw.render(request), "render");
  marks.push(performance.now());
  unwrap(await sw.validate(config), "validate");
  marks.push(performance.now());
  unwrap(await sw.install(config), "install");
  marks.push(performance.now());
  unwrap(await sw.reload(), "reload");
  marks.push(performance.now());
  unwrap(await sw.confirm(config.revision), "confirm");
  marks.push(performance.now());
  unwrap(await sw.record(request), "record");
  const at = (i: number) => marks[i] as number;
  return {
    total: at(5) - at(0),
    phases: Object.fromEntries(PHASES.map((p, i) => [p, at(i + 1) - at(i)])) as FlipTimes["phases"],
  };
}

/** One line per mode: p50, p90, max of whole flips, and the p50 of each phase. */
function summary(label: string, flips: readonly FlipTimes[]): string {
  const totals = flips.map((f) => f.total);
  const phases = PHASES.map(
    (p) =>
      `${p} ${ms(
        percentile(
          flips.map((f) => f.phases[p]),
          50,
        ),
      )}`,
  ).join(", ");
  return `${label}: ${flips.length} flips, p50 ${ms(percentile(totals, 50))} ms, p90 ${ms(percentile(totals, 90))} ms, max ${ms(Math.max(...totals))} ms (phase p50s: ${phases})`;
}

async function main(): Promise<void> {
  const facts = backendEnv("haproxy");
  if (!facts?.HAPROXY_BIN || !facts.WRK_BIN) {
    console.error("haproxy is not available: run `scripts/backends up haproxy` first");
    process.exit(2);
  }
  const machine = await machineBaseline();
  console.log(describeBaseline(machine));
  const dir = await mkdtemp(join(tmpdir(), "backflip-bench-flip-"));
  const caFile = CA_CANDIDATES.find((f) => existsSync(f));
  const children: ChildProcess[] = [];
  const cleanup = async () => {
    for (const child of children.reverse()) {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await Promise.race([exited, sleep(3000)]);
      }
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    for (const [color, port] of Object.entries(PORTS)) {
      children.push(
        spawn(process.execPath, ["-e", COLOR_SERVER, color, String(port)], {
          stdio: "ignore",
          detached: true,
        }),
      );
    }
    for (const port of Object.values(PORTS)) {
      await waitUntil(
        () =>
          fetch(`http://127.0.0.1:${port}/`).then(
            (r) => r.ok,
            () => false,
          ),
        { reads: 1502, everyMs: 20, message: `the backend on port ${port} did not start` },
      );
    }
    const paths = {
      configPath: join(dir, "haproxy.cfg"),
      stateFile: join(dir, "active-color"),
      historyFile: join(dir, "active-color.history"),
      pidFile: join(dir, "haproxy.pid"),
      statsSocket: join(dir, "admin.sock"),
      mapFile: join(dir, "color.map"),
    };
    const options: HaproxySwitchOptions = {
      shell: new LocalShell(),
      env: "bench",
      colors: ["blue", "green"],
      components: ["web"],
      configPath: paths.configPath,
      healthPath: "/",
      state: { stateFile: paths.stateFile, historyFile: paths.historyFile, historyLimit: 50 },
      servers: { web: { blue: `127.0.0.1:${PORTS.blue}`, green: `127.0.0.1:${PORTS.green}` } },
      binds: [`127.0.0.1:${FRONTEND}`],
      statsSocket: paths.statsSocket,
      mapFile: paths.mapFile,
      reload: { method: "signal", pidFile: paths.pidFile, signal: "USR2" },
      haproxyBin: facts.HAPROXY_BIN,
      runtimeApi: (socket) => unixSocketRuntimeApi(socket),
      processSignals: localProcessSignals(),
      ...(caFile ? { httpClientCaFile: caFile } : {}),
    };
    const reloadSw = unwrap(createHaproxySwitch(options), "create (reload mode)");
    const { httpClientCaFile: _tuned, ...untunedOptions } = options;
    const untunedSw = unwrap(createHaproxySwitch(untunedOptions), "create (reload mode, untuned)");
    const mapSw = unwrap(createHaproxySwitch({ ...options, mode: "map" }), "create (map mode)");
    const bootstrap = { color: "blue", runId: "bench-bootstrap", actor: "bench" };
    await writeFile(
      paths.configPath,
      unwrap(await reloadSw.renderConfigFile(bootstrap), "bootstrap").content,
    );
    await writeFile(paths.stateFile, "blue\n");

    const haproxy = spawn(facts.HAPROXY_BIN, ["-W", "-f", paths.configPath, "-p", paths.pidFile], {
      stdio: ["ignore", "ignore", "ignore"],
      detached: true,
    });
    children.push(haproxy);
    await waitUntil(
      async () => {
        const up = await reloadSw.liveRevision();
        return up.isOk() && up.value !== null;
      },
      { reads: 252, everyMs: 20, message: "HAProxy did not start" },
    );
    await waitUntil(async () => (await probe().catch(() => "")) === "blue", {
      reads: 252,
      everyMs: 20,
      message: "the blue backend does not answer through HAProxy",
    });

    const wrk = await startWrkLoad({
      bin: facts.WRK_BIN,
      url: `http://127.0.0.1:${FRONTEND}/`,
      maxS: 120,
      dir,
    });
    children.push(wrk.child);

    let wrong = 0;
    const check = async (color: string) => {
      const answer = await probe();
      if (answer !== color) wrong++;
    };
    const colors = ["green", "blue"];
    const local = {
      haproxyBin: facts.HAPROXY_BIN,
      configPath: paths.configPath,
      pidFile: paths.pidFile,
      statsSocket: paths.statsSocket,
      mapFile: paths.mapFile,
    };
    const reloadFloors = new FloorSamples(RELOAD_FLOOR_OPS);
    const ownSession = new FloorSamples(["check in its own session"] as const);
    const mapFloors = new FloorSamples(MAP_FLOOR_OPS);
    const probes = new FloorSamples(["probe"] as const);

    // For reference: the default template, where HAProxy loads the whole system CA store on each start.
    const untunedTimes: FlipTimes[] = [];
    for (let i = 0; i < UNTUNED_FLIPS; i++) {
      const color = colors[i % 2] as string;
      untunedTimes.push(await flip(untunedSw, { color, runId: `bench-untuned-${i}`, actor: "bench" }));
      await check(color);
      await sleep(100);
    }

    const reloadTimes: FlipTimes[] = [];
    for (let i = 0; i < FLIPS; i++) {
      const color = colors[(i + UNTUNED_FLIPS) % 2] as string;
      reloadTimes.push(await flip(reloadSw, { color, runId: `bench-reload-${i}`, actor: "bench" }));
      await check(color);
      await sleep(100);
      await reloadFloor(local, reloadFloors, i, ownSession);
      await probes.time("probe", () => check(color));
      await sleep(100);
    }

    // Switch the running HAProxy to the map-mode config once (a reload), then flip with maps only.
    const active = colors[(FLIPS + UNTUNED_FLIPS - 1) % 2] as string;
    const seed = { color: active, runId: "bench-map-seed", actor: "bench" };
    await writeFile(paths.mapFile, unwrap(await mapSw.render(seed), "map seed").content);
    const mapConfig = unwrap(await mapSw.renderConfigFile(seed), "map config");
    unwrap(await reloadSw.validate(mapConfig), "validate map config");
    unwrap(await reloadSw.install(mapConfig), "install map config");
    unwrap(await reloadSw.reload(), "reload into map mode");
    unwrap(await reloadSw.confirm(mapConfig.revision), "confirm map config");
    await sleep(200);

    const mapTimes: FlipTimes[] = [];
    for (let i = 0; i < FLIPS; i++) {
      const color = colors[(i + FLIPS + UNTUNED_FLIPS) % 2] as string;
      mapTimes.push(await flip(mapSw, { color, runId: `bench-map-${i}`, actor: "bench" }));
      await check(color);
      await sleep(50);
      await mapFloor(local, mapFloors, "web");
      await probes.time("probe", () => check(color));
      await sleep(50);
    }

    await sleep(500);
    const { report, requests, failed } = await wrk.stop();
    const { keepalive, closing: nginx } = await runNginxFlips({
      dir: join(dir, "nginx"),
      colorPorts: PORTS,
      flips: FLIPS,
      keepaliveFlips: UNTUNED_FLIPS,
      flip,
    });

    console.log(`wrk: ${report.trim().split("\n").join(" | ")}`);
    console.log(
      summary(
        "reload mode, default template (HAProxy loads the system CA store on each start)",
        untunedTimes,
      ),
    );
    console.log(summary(`reload mode${caFile ? `, httpClientCaFile ${caFile}` : ""}`, reloadTimes));
    console.log(`reload floor (direct, no SDK): ${reloadFloors.describe()}`);
    console.log(
      `haproxy -c started in a new session, as LocalShell starts it: p50 ${ownSession
        .median("check in its own session")
        .toFixed(1)} ms (the floor's check runs in this process's session)`,
    );
    console.log(summary("map mode", mapTimes));
    console.log(`map floor (direct, no SDK): ${mapFloors.describe()}`);
    console.log(
      `probe through HAProxy after a flip (not part of a flip here): p50 ${probes.median("probe").toFixed(1)} ms`,
    );
    console.log(`nginx wrk: ${nginx.report.trim().split("\n").join(" | ")}`);
    console.log(
      summary(
        `nginx with client keep-alive (stopping workers close idle connections: ${keepalive.failed} of ${keepalive.requests} requests failed)`,
        keepalive.times,
      ),
    );
    console.log(
      summary("nginx, keepalive_timeout 0 (nginx -t, nginx -s reload, confirm with settleMs)", nginx.times),
    );
    console.log(
      `probes after each flip answered by the wrong color: ${wrong} (HAProxy), ${keepalive.wrong + nginx.wrong} (nginx)`,
    );
    if (wrong > 0 || keepalive.wrong + nginx.wrong > 0) process.exitCode = 1;
    console.log(
      `nginx reload_p50_ms=${ms(
        percentile(
          nginx.times.map((f) => f.total),
          50,
        ),
      )} requests=${nginx.requests} failed=${nginx.failed}`,
    );
    const reloadP50 = percentile(
      reloadTimes.map((f) => f.total),
      50,
    );
    const mapP50 = percentile(
      mapTimes.map((f) => f.total),
      50,
    );
    const ratio = (p50: number, floor: number) => (p50 / floor).toFixed(2);
    console.log(
      `flip reload_p50_ms=${ms(reloadP50)} map_p50_ms=${ms(mapP50)} requests=${requests} failed=${failed} ` +
        `reload_floor_ms=${ms(reloadFloors.floorMs())} reload_floor_ratio=${ratio(reloadP50, reloadFloors.floorMs())} ` +
        `map_floor_ms=${ms(mapFloors.floorMs())} map_floor_ratio=${ratio(mapP50, mapFloors.floorMs())} ` +
        `machine_busy_pct=${Math.round(machine.busyShare * 100)} spawn_ms=${machine.spawnMs.toFixed(1)}`,
    );
  } finally {
    await cleanup();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
