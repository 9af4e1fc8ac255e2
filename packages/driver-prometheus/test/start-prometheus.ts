import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A free loopback port (bound then released). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

/** A short-lived Prometheus on 127.0.0.1 scraping `target` every second with the given rule file. */
export interface TestPrometheus {
  readonly url: string;
  stop(): Promise<void>;
}

/** Starts Prometheus with 1 s scrape and evaluation intervals and waits until it is ready. */
export async function startPrometheus(
  bin: string,
  target: string,
  rulesFile: string,
): Promise<TestPrometheus> {
  const dir = await mkdtemp(join(tmpdir(), "bf-prom-"));
  const port = await freePort();
  const config = join(dir, "prometheus.yml");
  await writeFile(
    config,
    [
      "global: { scrape_interval: 1s, evaluation_interval: 1s }",
      `rule_files: [${JSON.stringify(rulesFile)}]`,
      "scrape_configs:",
      "  - job_name: backflip",
      `    metrics_path: ${new URL(target).pathname}`,
      `    static_configs: [{ targets: [${JSON.stringify(new URL(target).host)}] }]`,
      "",
    ].join("\n"),
  );
  const child: ChildProcess = spawn(
    bin,
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: "ignore" },
  );
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    child.kill("SIGTERM");
    await new Promise((resolve) => (child.exitCode === null ? child.once("exit", resolve) : resolve(null)));
    await rm(dir, { recursive: true, force: true });
  };
  for (let i = 0; i < 150; i++) {
    const ready = await fetch(`${url}/-/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) return { url, stop };
    await new Promise((r) => setTimeout(r, 200));
  }
  await stop();
  throw new Error(`Prometheus did not become ready on ${url}`);
}
