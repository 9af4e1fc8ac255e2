import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LocalShell, type Shell, type SwitchRequest } from "@backflip/core";
import { backendEnv } from "@backflip/core/testing";
import {
  createHaproxySwitch,
  type HaproxyMode,
  type HaproxySwitch,
  type HaproxySwitchOptions,
  type ReloadMethod,
  unixSocketRuntimeApi,
} from "../../src/index";

/** The facts `scripts/backends up haproxy` wrote, or `null`. */
export const facts = backendEnv("haproxy");
/** True when HAProxy and socat are installed and the backend was brought up. */
export const haproxyReady =
  facts !== null && existsSync(facts.HAPROXY_BIN ?? "") && existsSync(facts.SOCAT_BIN ?? "");
/** The HAProxy binary the backend module found. */
export const HAPROXY_BIN = facts?.HAPROXY_BIN ?? "/usr/sbin/haproxy";
/** The socat binary the backend module found. */
export const SOCAT_BIN = facts?.SOCAT_BIN ?? "/usr/bin/socat";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A Shell without the `files` capability: every file goes through `cat`, `dd`, `mv`, `sync`. */
export function commandsOnly(shell: Shell): Shell {
  return { name: `${shell.name} (commands only)`, run: (argv, options) => shell.run(argv, options) };
}

/** Where a lab's files live, as the driver (inside the Shell) sees them, and as this process reads them. */
export interface LabPaths {
  /** Prefix from the driver's paths to this process's paths ('' when the same). */
  readonly hostRoot: string;
  readonly configPath: string;
  readonly stateFile: string;
  readonly historyFile: string;
  readonly statsSocket: string;
  readonly masterSocket: string;
  readonly pidFile: string;
  readonly mapFile: string;
}

/** Options of {@link startLab}. */
export interface LabOptions {
  /** The frontend port (18400-18499). */
  readonly port: number;
  /** Ports of the blue and green backend servers (one component, `web`, unless `components` is given). */
  readonly serverPorts: { readonly blue: number; readonly green: number };
  readonly mode?: HaproxyMode;
  readonly components?: readonly string[];
  readonly historyLimit?: number;
  readonly reload?: (paths: LabPaths) => ReloadMethod;
  /** The Shell the driver uses (default: core's LocalShell). */
  readonly shell?: Shell;
  /** Paths as the driver sees them (default: a fresh temp dir). */
  readonly paths?: LabPaths;
  /** Wraps the HAProxy command line (e.g. `chroot --userspec=… ROOT`). */
  readonly launchPrefix?: readonly string[];
  /** Use the direct unix-socket runtime API (this process opens the socket). */
  readonly directSocket?: boolean;
  /** Start real HTTP servers answering with their color. */
  readonly httpServers?: boolean;
  readonly drain?: boolean;
  readonly extra?: Partial<HaproxySwitchOptions>;
}

/** A running HAProxy master-worker with a driver pointed at it. */
export interface Lab {
  readonly sw: HaproxySwitch;
  readonly paths: LabPaths;
  /** The options the lab's driver was built with. */
  readonly options: HaproxySwitchOptions;
  readonly bootstrap: SwitchRequest;
  /** Reads a file the driver sees at `path`, from this process. */
  read(path: string): Promise<string>;
  /** Lists a directory the driver sees at `path`, from this process. */
  list(path: string): Promise<string[]>;
  /** Writes a file the driver sees at `path`, from this process. */
  write(path: string, content: string): Promise<void>;
  /** Sends one request line to the stats socket (or the master socket) from this process. */
  cli(line: string, socket?: "stats" | "master"): Promise<string>;
  /** How many times the master reloaded (master CLI `show proc`). */
  reloads(): Promise<number>;
  /** GET / on the frontend: the body names the color that answered. */
  get(path?: string): Promise<string>;
  /** Builds another driver on the same HAProxy with option overrides. */
  driver(overrides: Partial<HaproxySwitchOptions>): HaproxySwitch;
  stop(): Promise<void>;
}

/** A lab's files in one local directory. */
export function localPaths(dir: string): LabPaths {
  return {
    hostRoot: "",
    configPath: join(dir, "haproxy.cfg"),
    stateFile: join(dir, "active-color"),
    historyFile: join(dir, "active-color.history"),
    statsSocket: join(dir, "admin.sock"),
    masterSocket: join(dir, "master.sock"),
    pidFile: join(dir, "haproxy.pid"),
    mapFile: join(dir, "color.map"),
  };
}

function colorServer(color: string, port: number): Promise<Server> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "text/plain" });
    res.end(color);
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve(server));
  });
}

/** The driver options of a lab (shared by the lab and a child process driving it). */
export function labSwitchOptions(paths: LabPaths, options: LabOptions): { base: HaproxySwitchOptions } {
  const host = (p: string) => `${paths.hostRoot}${p}`;
  const components = options.components ?? ["web"];
  const servers = Object.fromEntries(
    components.map((c, i) => [
      c,
      {
        blue: `127.0.0.1:${options.serverPorts.blue + i}`,
        green: `127.0.0.1:${options.serverPorts.green + i}`,
      },
    ]),
  );
  const base: HaproxySwitchOptions = {
    shell: options.shell ?? new LocalShell(),
    env: "lab",
    colors: ["blue", "green"],
    components: [...components],
    configPath: paths.configPath,
    healthPath: "/",
    state: {
      stateFile: paths.stateFile,
      historyFile: paths.historyFile,
      historyLimit: options.historyLimit ?? 5,
    },
    servers,
    mode: options.mode ?? "reload",
    binds: [`127.0.0.1:${options.port}`],
    statsSocket: paths.statsSocket,
    mapFile: paths.mapFile,
    reload: options.reload?.(paths) ?? { method: "signal", pidFile: paths.pidFile, signal: "USR2" },
    haproxyBin: HAPROXY_BIN,
    socatBin: SOCAT_BIN,
    confirmTimeoutMs: 5000,
    ...(options.drain ? { drain: true } : {}),
    ...(options.directSocket ? { runtimeApi: (socket: string) => unixSocketRuntimeApi(host(socket)) } : {}),
    ...options.extra,
  };
  return { base };
}

/** Starts HAProxy (master-worker) on a bootstrap config rendered by the driver for `blue`. */
export async function startLab(options: LabOptions): Promise<Lab> {
  const tempDir = options.paths ? undefined : await mkdtemp(join(tmpdir(), "backflip-haproxy-"));
  const paths = options.paths ?? localPaths(tempDir as string);
  const host = (p: string) => `${paths.hostRoot}${p}`;
  const components = options.components ?? ["web"];
  const { base } = labSwitchOptions(paths, options);
  const driver = (overrides: Partial<HaproxySwitchOptions>) =>
    createHaproxySwitch({ ...base, ...overrides })._unsafeUnwrap();
  const sw = driver({});
  const bootstrap: SwitchRequest = { color: "blue", runId: "bootstrap", actor: "lab" };
  const config = (await sw.renderConfigFile(bootstrap))._unsafeUnwrap();
  await writeFile(host(paths.configPath), config.content);
  if (sw.mode === "map") {
    await writeFile(host(paths.mapFile), (await sw.render(bootstrap))._unsafeUnwrap().content);
  }
  await writeFile(host(paths.stateFile), "blue\n");

  const http: Server[] = [];
  const closeHttp = () =>
    Promise.all(
      http.map((server) => {
        const closed = new Promise((r) => server.close(() => r(undefined)));
        server.closeAllConnections();
        return closed;
      }),
    );
  if (options.httpServers) {
    try {
      for (const [i] of components.entries()) {
        http.push(await colorServer("blue", options.serverPorts.blue + i));
        http.push(await colorServer("green", options.serverPorts.green + i));
      }
    } catch (error) {
      await closeHttp();
      if (tempDir) await rm(tempDir, { recursive: true, force: true });
      throw error;
    }
  }

  const argv = [
    ...(options.launchPrefix ?? []),
    HAPROXY_BIN,
    "-W",
    "-f",
    paths.configPath,
    "-p",
    paths.pidFile,
    "-S",
    paths.masterSocket,
  ];
  const master: ChildProcess = spawn(argv[0] as string, argv.slice(1), {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  master.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => master.once("exit", () => resolve()));

  /** The master CLI refuses connections for a moment while the master re-executes: retry. */
  const cli = async (line: string, socket: "stats" | "master" = "stats"): Promise<string> => {
    const api = unixSocketRuntimeApi(host(socket === "stats" ? paths.statsSocket : paths.masterSocket));
    for (let attempt = 0; ; attempt++) {
      const reply = await api.send(line);
      if (reply.isOk()) return reply.value;
      if (attempt >= 50) throw new Error(`${line}: ${reply.error.message}`);
      await sleep(20);
    }
  };

  const stop = async () => {
    if (master.exitCode === null && master.signalCode === null) {
      master.kill("SIGTERM");
      await Promise.race([exited, sleep(5000)]);
      if (master.exitCode === null && master.signalCode === null) master.kill("SIGKILL");
    }
    await closeHttp();
    if (tempDir) await rm(tempDir, { recursive: true, force: true });
  };

  const deadline = Date.now() + 10_000;
  for (;;) {
    const reply = await unixSocketRuntimeApi(host(paths.statsSocket)).send("show info");
    if (reply.isOk() && reply.value.includes("Pid:") && existsSync(host(paths.pidFile))) break;
    if (master.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`HAProxy did not start: ${stderr}`);
    }
    await sleep(20);
  }

  return {
    sw,
    paths,
    options: base,
    bootstrap,
    read: (p) => readFile(host(p), "utf8"),
    list: (p) => readdir(host(p)),
    write: (p, content) => writeFile(host(p), content),
    cli,
    reloads: async () => {
      const proc = await cli("show proc", "master");
      const m = /master\s+(\d+)/.exec(proc);
      return Number(m?.[1] ?? Number.NaN);
    },
    get: async (path = "/") => {
      const res = await fetch(`http://127.0.0.1:${options.port}${path}`, {
        headers: { connection: "close" },
      });
      return `${res.status} ${await res.text()}`;
    },
    driver,
    stop,
  };
}
