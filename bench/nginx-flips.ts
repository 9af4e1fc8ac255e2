import { type ChildProcess, spawn } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { LocalShell, type SwitchRequest, type TrafficSwitch } from "@backflip/core";
import { backendEnv } from "@backflip/core/testing";
import { createNginxSwitch } from "@backflip/driver-nginx";
import { waitUntil } from "./wait-until";
import { startWrkLoad, type WrkResult } from "./wrk-load";

/** nginx's front and status ports (`scripts/backends up nginx` leaves 18700-18799 to tests and benches). */
const FRONT = 18780;
const STATUS = 18781;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The front server's main config; `keepalive` false sends `Connection: close` on every response. */
const mainConfigText = (dir: string, includeFile: string, keepalive: boolean) =>
  `worker_processes 2;\npid ${dir}/nginx.pid;\nerror_log ${dir}/error.log;\nevents { worker_connections 1024; }\n` +
  `http {\n    access_log off;\n    keepalive_timeout ${keepalive ? "75s" : "0"};\n    include ${includeFile};\n` +
  `    server {\n        listen 127.0.0.1:${FRONT};\n        location / { proxy_pass http://app; }\n    }\n}\n`;

/** What {@link runNginxFlips} needs from the flip bench. */
export interface NginxFlipsOptions<T> {
  /** A directory of its own for nginx's prefix, config and pid. */
  readonly dir: string;
  /** The running blue and green HTTP servers. */
  readonly colorPorts: { readonly blue: number; readonly green: number };
  readonly flips: number;
  /** Flips first made with client keep-alive on, for reference. */
  readonly keepaliveFlips: number;
  /** One timed flip through a switch (the bench's own, shared with HAProxy's rows). */
  readonly flip: (sw: TrafficSwitch, request: SwitchRequest) => Promise<T>;
}

/** Timed flips under one wrk load: the flips, the probes that saw the wrong color, wrk's totals. */
export interface NginxFlipRun<T> extends WrkResult {
  readonly times: T[];
  readonly wrong: number;
}

/** The reference run with client keep-alive, and the run without it. */
export interface NginxFlips<T> {
  readonly keepalive: NginxFlipRun<T>;
  readonly closing: NginxFlipRun<T>;
}

/**
 * bench:flip's nginx row: a real nginx 1.22 (2 workers) in front of the same two color
 * servers, wrk's steady load on it, and flips through driver-nginx (render, `nginx -t`
 * on a candidate, install, `nginx -s reload`, confirm until every answer of the status
 * location is the new revision for settleMs), each followed by a probe. First
 * `keepaliveFlips` with client keep-alive on, for reference: an old worker closes its
 * idle keep-alive connections when it stops, and a request sent on one at that moment
 * fails (wrk counts a read error; nginx has no setting that answers it instead). Then
 * `flips` with `keepalive_timeout 0` in the front server, the row's numbers.
 */
export async function runNginxFlips<T>(options: NginxFlipsOptions<T>): Promise<NginxFlips<T>> {
  const facts = backendEnv("nginx");
  if (!facts?.NGINX_BIN || !facts.CURL_BIN || !facts.WRK_BIN) {
    throw new Error("nginx is not available: run `bash scripts/backends up nginx` first");
  }
  const { WRK_BIN } = facts;
  const dir = options.dir;
  await mkdir(dir, { recursive: true });
  const includeFile = join(dir, "upstreams.conf");
  const mainConfig = join(dir, "nginx.conf");
  const sw = createNginxSwitch({
    shell: new LocalShell(),
    colors: ["blue", "green"],
    upstreams: {
      app: { blue: `127.0.0.1:${options.colorPorts.blue}`, green: `127.0.0.1:${options.colorPorts.green}` },
    },
    includeFile,
    mainConfig,
    prefix: dir,
    statusListen: `127.0.0.1:${STATUS}`,
    state: { stateFile: join(dir, "active-color"), historyFile: join(dir, "active-color.history") },
    nginxBin: facts.NGINX_BIN,
    curlBin: facts.CURL_BIN,
  });
  if (sw.isErr()) throw new Error(`create (nginx): ${sw.error.message}`);
  const bootstrap = await sw.value.render({ color: "blue", runId: "bench-bootstrap", actor: "bench" });
  if (bootstrap.isErr()) throw new Error(`bootstrap (nginx): ${bootstrap.error.message}`);
  await writeFile(includeFile, bootstrap.value.content);
  await writeFile(join(dir, "active-color"), "blue\n");
  await writeFile(mainConfig, mainConfigText(dir, includeFile, true));

  const children: ChildProcess[] = [];
  try {
    children.push(
      spawn(facts.NGINX_BIN, ["-p", dir, "-c", mainConfig, "-g", "daemon off;"], { stdio: "ignore" }),
    );
    const probe = () =>
      fetch(`http://127.0.0.1:${FRONT}/`, { headers: { connection: "close" } }).then(
        (r) => r.text(),
        () => "",
      );
    await waitUntil(async () => (await probe()) === "blue", {
      reads: 252,
      everyMs: 20,
      message: "the blue backend does not answer through nginx",
    });
    const run = async (flips: number, tag: string): Promise<NginxFlipRun<T>> => {
      const wrk = await startWrkLoad({ bin: WRK_BIN, url: `http://127.0.0.1:${FRONT}/`, maxS: 120, dir });
      children.push(wrk.child);
      const times: T[] = [];
      let wrong = 0;
      for (let i = 0; i < flips; i++) {
        const color = i % 2 === 0 ? "green" : "blue";
        times.push(await options.flip(sw.value, { color, runId: `bench-nginx-${tag}-${i}`, actor: "bench" }));
        if ((await probe()) !== color) wrong++;
        await sleep(100);
      }
      await sleep(500);
      return { ...(await wrk.stop()), times, wrong };
    };
    const keepalive = await run(options.keepaliveFlips, "keepalive");
    // Back on blue (an even number of flips), then the front server without keep-alive.
    await writeFile(mainConfig, mainConfigText(dir, includeFile, false));
    const reload = spawn(facts.NGINX_BIN, ["-p", dir, "-c", mainConfig, "-s", "reload"], { stdio: "ignore" });
    await new Promise((r) => reload.once("exit", r));
    await sleep(1000);
    return { keepalive, closing: await run(options.flips, "closing") };
  } finally {
    for (const child of children.reverse()) {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await Promise.race([exited, sleep(3000)]);
      }
    }
  }
}
