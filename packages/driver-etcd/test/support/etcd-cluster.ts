import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { request } from "undici";

/** A member's answer to `/v3/maintenance/status`. */
interface MemberStatus {
  readonly header?: { readonly member_id?: string; readonly revision?: string };
  readonly leader?: string;
}

/**
 * A 3-member etcd cluster of a test's own (loopback ports `base+1..3` for clients,
 * `base+11..13` for peers, data dirs in a temp dir), for tests that kill, freeze or cut
 * members without touching the shared cluster of `scripts/backends up etcd`.
 */
export class EtcdCluster {
  readonly endpoints: string[];
  readonly #bin: string;
  readonly #dir: string;
  readonly #base: number;
  readonly #procs: (ChildProcess | undefined)[] = [undefined, undefined, undefined];

  private constructor(bin: string, dir: string, base: number) {
    this.#bin = bin;
    this.#dir = dir;
    this.#base = base;
    this.endpoints = [1, 2, 3].map((i) => `http://127.0.0.1:${base + i}`);
  }

  /** Starts the three members and waits until each answers with a leader. */
  static async start(bin: string, base: number): Promise<EtcdCluster> {
    const cluster = new EtcdCluster(bin, await mkdtemp(join(tmpdir(), "backflip-etcd-cluster-")), base);
    for (const i of [0, 1, 2]) cluster.start(i);
    await cluster.waitHealthy();
    return cluster;
  }

  /** Starts member `i` (again: it rejoins with its data dir). */
  start(i: number): void {
    const peer = (j: number) => `http://127.0.0.1:${this.#base + 11 + j}`;
    const proc = spawn(
      this.#bin,
      [
        "--name",
        `m${i}`,
        "--data-dir",
        join(this.#dir, `m${i}`),
        "--listen-client-urls",
        this.endpoints[i]!,
        "--advertise-client-urls",
        this.endpoints[i]!,
        "--listen-peer-urls",
        peer(i),
        "--initial-advertise-peer-urls",
        peer(i),
        "--initial-cluster",
        [0, 1, 2].map((j) => `m${j}=${peer(j)}`).join(","),
        "--initial-cluster-token",
        `chaos-${this.#base}`,
        "--logger",
        "zap",
        "--log-outputs",
        join(this.#dir, `m${i}.log`),
      ],
      { stdio: "ignore" },
    );
    this.#procs[i] = proc;
  }

  /** SIGKILLs member `i` and waits for it to exit. */
  async kill(i: number): Promise<void> {
    const proc = this.#procs[i];
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((r) => proc.once("exit", r));
    proc.kill("SIGKILL");
    await exited;
  }

  /** Freezes member `i` (SIGSTOP): it neither answers nor sends, to clients and peers alike. */
  freeze(i: number): void {
    this.#procs[i]?.kill("SIGSTOP");
  }

  /** Thaws a frozen member (SIGCONT). */
  thaw(i: number): void {
    this.#procs[i]?.kill("SIGCONT");
  }

  /** The index of the current leader (asked of the first member that answers). */
  async leader(): Promise<number> {
    for (let attempt = 0; attempt < 100; attempt++) {
      const statuses = await Promise.all([0, 1, 2].map((i) => this.status(i)));
      const leaderId = statuses.find((s) => s?.leader && s.leader !== "0")?.leader;
      const index = statuses.findIndex((s) => s?.header?.member_id === leaderId);
      if (index >= 0) return index;
      await sleep(100);
    }
    throw new Error("the test cluster has no leader");
  }

  /** Member `i`'s status, or `undefined` when it does not answer within a second. */
  async status(i: number): Promise<MemberStatus | undefined> {
    try {
      const response = await request(`${this.endpoints[i]}/v3/maintenance/status`, {
        method: "POST",
        body: "{}",
        signal: AbortSignal.timeout(1_000),
      });
      return (await response.body.json()) as MemberStatus;
    } catch {
      return undefined;
    }
  }

  /** Waits until every member answers `/health` with a quorum and all share one revision. */
  async waitHealthy(timeoutMs = 60_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (Date.now() < end) {
      const healthy = await Promise.all(this.endpoints.map((e) => isHealthy(e)));
      if (healthy.every(Boolean)) {
        const revisions = await Promise.all([0, 1, 2].map((i) => this.status(i)));
        if (new Set(revisions.map((s) => s?.header?.revision)).size === 1) return;
      }
      await sleep(200);
    }
    throw new Error(`the test cluster on ${this.endpoints.join(",")} did not become healthy`);
  }

  /** Stops every member and deletes the data dirs. */
  async destroy(): Promise<void> {
    for (const i of [0, 1, 2]) this.thaw(i);
    await Promise.all([0, 1, 2].map((i) => this.kill(i)));
    await rm(this.#dir, { recursive: true, force: true });
  }
}

async function isHealthy(endpoint: string): Promise<boolean> {
  try {
    const response = await request(`${endpoint}/health`, { signal: AbortSignal.timeout(2_000) });
    return ((await response.body.json()) as { health?: string }).health === "true";
  } catch {
    return false;
  }
}
