import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LocalShell, type Shell, type SwitchRequest, type TrafficSwitch } from "@backflip/core";
import { backendEnv, type TrafficSwitchFixtures } from "@backflip/core/testing";
import { createNginxSwitch, type NginxSwitchOptions } from "../../src/index";

/** The facts `scripts/backends up nginx` wrote, or `null`. */
export const facts = backendEnv("nginx");
/** True when nginx and curl are installed and the backend was brought up. */
export const nginxReady =
  facts !== null && existsSync(facts.NGINX_BIN ?? "") && existsSync(facts.CURL_BIN ?? "");
/** The nginx binary the backend module found. */
export const NGINX_BIN = facts?.NGINX_BIN ?? "/usr/sbin/nginx";
/** The curl binary the backend module found. */
export const CURL_BIN = facts?.CURL_BIN ?? "/usr/bin/curl";

/** The history bound of a lab's switch. */
const HISTORY_LIMIT = 5;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A Shell without the `files` capability: every file goes through `cat`, `dd`, `mv`, `sync`, `rm`. */
export function commandsOnly(shell: Shell): Shell {
  return { name: `${shell.name} (commands only)`, run: (argv, options) => shell.run(argv, options) };
}

/** Options of {@link startNginxLab}. */
export interface NginxLabOptions {
  /** The front server's port (18700-18799): `location /` proxies to the upstream `app`. */
  readonly port: number;
  /** The status server's port (18700-18799). */
  readonly statusPort: number;
  /** Start two HTTP servers on loopback answering their color (else the upstreams name unused ports). */
  readonly colorServers?: boolean;
  /** The Shell the driver uses (default: core's LocalShell). */
  readonly shell?: Shell;
  /** nginx worker processes (default 2: old and new workers overlap after a reload). */
  readonly workers?: number;
  /** Driver option overrides. */
  readonly extra?: Partial<NginxSwitchOptions>;
}

/** A running nginx with a driver pointed at it. */
export interface NginxLab {
  readonly sw: TrafficSwitch;
  /** The driver's options (to build another driver on the same nginx). */
  readonly options: NginxSwitchOptions;
  readonly dir: string;
  readonly includeFile: string;
  /** What the TrafficSwitch conformance suite needs: blue live, a switch to green. */
  readonly fixtures: TrafficSwitchFixtures;
  /** GET `path` on the front server: `<status> <body>` (the body names the color that answered). */
  get(path?: string): Promise<string>;
  /** nginx's error log so far. */
  errorLog(): Promise<string>;
  stop(): Promise<void>;
}

function colorServer(color: string): Promise<Server> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "text/plain" });
    res.end(color);
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve(server));
  });
}

/** The main config: the driver's include inside `http { }`, a front server proxying to `app`. */
function mainConfig(dir: string, includeFile: string, options: NginxLabOptions): string {
  return `worker_processes ${options.workers ?? 2};
pid ${dir}/nginx.pid;
error_log ${dir}/error.log notice;
events { worker_connections 1024; }
http {
    access_log off;
    include ${includeFile};
    server {
        listen 127.0.0.1:${options.port};
        location / { proxy_pass http://app; }
    }
}
`;
}

/**
 * Starts nginx in the foreground in a temp dir (own prefix, config, pid and log), on an
 * include rendered by the driver for `blue`, with the state file saying `blue`.
 */
export async function startNginxLab(options: NginxLabOptions): Promise<NginxLab> {
  const dir = await mkdtemp(join(tmpdir(), "backflip-nginx-"));
  const servers = options.colorServers ? [await colorServer("blue"), await colorServer("green")] : [];
  const address = (i: number, fallback: number) =>
    `127.0.0.1:${(servers[i]?.address() as AddressInfo | undefined)?.port ?? fallback}`;
  const includeFile = join(dir, "backflip-upstreams.conf");
  const swOptions: NginxSwitchOptions = {
    shell: options.shell ?? new LocalShell(),
    colors: ["blue", "green"],
    upstreams: { app: { blue: address(0, 9), green: address(1, 10) } },
    includeFile,
    mainConfig: join(dir, "nginx.conf"),
    prefix: dir,
    statusListen: `127.0.0.1:${options.statusPort}`,
    state: {
      stateFile: join(dir, "active-color"),
      historyFile: join(dir, "active-color.history"),
      historyLimit: HISTORY_LIMIT,
    },
    nginxBin: NGINX_BIN,
    curlBin: CURL_BIN,
    confirmTimeoutMs: 5000,
    ...options.extra,
  };
  const sw = createNginxSwitch(swOptions)._unsafeUnwrap();
  const bootstrap: SwitchRequest = { color: "blue", runId: "bootstrap", actor: "lab" };
  await writeFile(includeFile, (await sw.render(bootstrap))._unsafeUnwrap().content);
  await writeFile(swOptions.mainConfig, mainConfig(dir, includeFile, options));
  await writeFile(swOptions.state.stateFile, "blue\n");

  const master: ChildProcess = spawn(
    NGINX_BIN,
    ["-p", dir, "-c", swOptions.mainConfig, "-g", "daemon off;"],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let stderr = "";
  master.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => master.once("exit", () => resolve()));
  const stop = async () => {
    if (master.exitCode === null && master.signalCode === null) {
      master.kill("SIGTERM");
      await Promise.race([exited, sleep(5000)]);
      if (master.exitCode === null && master.signalCode === null) master.kill("SIGKILL");
    }
    await Promise.all(
      servers.map((server) => {
        const closed = new Promise((r) => server.close(() => r(undefined)));
        server.closeAllConnections();
        return closed;
      }),
    );
    await rm(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + 10_000;
  while ((await sw.liveRevision()).unwrapOr(null) === null) {
    if (master.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`nginx did not start: ${stderr}`);
    }
    await sleep(20);
  }

  return {
    sw,
    options: swOptions,
    dir,
    includeFile,
    fixtures: {
      activeColor: "blue",
      switchTo: {
        color: "green",
        sha: "0123456789abcdef0123456789abcdef01234567",
        runId: "x",
        actor: "conformance",
      },
      readLive: () => readFile(includeFile, "utf8"),
      listBesideLive: () => readdir(dir),
      writePrevious: (content) => writeFile(`${includeFile}.prev`, content),
      historyLimit: HISTORY_LIMIT,
    },
    get: async (path = "/") => {
      const res = await fetch(`http://127.0.0.1:${options.port}${path}`, {
        headers: { connection: "close" },
      });
      return `${res.status} ${await res.text()}`;
    },
    errorLog: () => readFile(join(dir, "error.log"), "utf8").catch(() => ""),
    stop,
  };
}
