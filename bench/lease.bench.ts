/**
 * `pnpm bench:lease` — the team's coordination stores, side by side in one run: the Incus
 * anchor (`@backflip/driver-incus`, local socket) and a 3-member etcd
 * (`@backflip/driver-etcd`), each under a prefix made for this run and removed at the end.
 *
 * - acquire + release: the environment's lease taken and given back (its Incus anchor
 *   created during the warm-up, as a team's exists);
 * - append: one journal record made durable (`sync`, the default), fenced by the lease
 *   the writer holds — the records of a Path 1-shaped run (5 checks, 3 changes, 2
 *   verifications), captured from the runner, replayed into a new run id each round;
 * - floor context: `inspect` (one read of the lease) on the same store, interleaved.
 *
 * Rounds alternate which store goes first; p50s are compared. Last line:
 * `lease incus_acquire_release_p50_ms=<n> etcd_acquire_release_p50_ms=<n> incus_append_p50_ms=<n> etcd_append_p50_ms=<n>`.
 * Target (issue 15): etcd append p50 ≤ 10 ms. Needs `scripts/backends up incus etcd`.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { performance } from "node:perf_hooks";
import { promisify } from "node:util";
import {
  createPlan,
  type Journal,
  type JournalRecord,
  type LeaseLock,
  MemoryJournal,
  MemoryLeaseLock,
  runPlan,
  type Step,
} from "@backflip/core";
import { backendEnv } from "@backflip/core/testing";
import { createEtcdCoordination } from "@backflip/driver-etcd";
import { createIncusCoordination, createIncusHost, incusSocketPath } from "@backflip/driver-incus";
import { okAsync } from "neverthrow";

const LEASE_ROUNDS = 30;
const APPEND_ROUNDS = 6;
const WARMUP = 2;
const ENV = "bench";

const etcdEnv = backendEnv("etcd");
const incusEnv = backendEnv("incus");
if (!etcdEnv?.ETCD_ENDPOINTS || !incusEnv || !existsSync(incusSocketPath())) {
  console.error("needs Incus and etcd: run `scripts/backends up incus etcd` first");
  process.exit(2);
}
const endpoints = etcdEnv.ETCD_ENDPOINTS.split(",");
const prefix = `bench-${randomBytes(3).toString("hex")}`;

/** One store under measurement. */
interface Store {
  readonly name: "incus" | "etcd";
  readonly lock: LeaseLock;
  readonly journal: Journal;
  close(): Promise<void>;
}

const incus = createIncusCoordination({ prefix, actor: "pnpm bench:lease" })._unsafeUnwrap();
const etcd = createEtcdCoordination({ endpoints, prefix: `/${prefix}` })._unsafeUnwrap();
const stores: Store[] = [
  {
    name: "incus",
    lock: incus.lock,
    journal: incus.journal,
    close: async () => {
      (await incus.close())._unsafeUnwrap();
    },
  },
  { name: "etcd", lock: etcd.lock, journal: etcd.journal, close: () => etcd.close() },
];

const samples = new Map<string, number[]>();
/** False during the warm-up rounds: their timings are dropped. */
let recording = false;
async function time<T>(key: string, fn: () => PromiseLike<T>): Promise<T> {
  const t0 = performance.now();
  const value = await fn();
  if (recording) samples.set(key, [...(samples.get(key) ?? []), performance.now() - t0]);
  return value;
}
function p50(key: string): number {
  const sorted = [...(samples.get(key) ?? [])].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)] ?? Number.NaN;
}

/** The records a Path 1-shaped run journals: captured from the runner on the in-memory journal. */
async function runRecords(): Promise<JournalRecord[]> {
  const step = (id: string, kind: Step["kind"]): Step => ({
    id,
    title: `${kind} ${id}`,
    kind,
    describe: () => [{ kind: "note", text: `bench ${id}` }],
    run: () => okAsync({ id, previous: "green" }),
    ...(kind === "change" ? { undo: () => okAsync(undefined) } : {}),
  });
  const plan = createPlan({ path: "fast-flip", env: ENV, actor: "bench", reason: "pnpm bench:lease" }, [
    ...["containers", "config", "state", "history", "probe"].map((id) => step(`check-${id}`, "check")),
    ...["install", "reload", "record"].map((id) => step(id, "change")),
    ...["public", "live"].map((id) => step(`verify-${id}`, "verify")),
  ])._unsafeUnwrap();
  const journal = new MemoryJournal();
  const report = (
    await runPlan(plan, { journal, lock: new MemoryLeaseLock(), owner: "bench" })
  )._unsafeUnwrap();
  return (await journal.read(report.runId))._unsafeUnwrap();
}

/** Takes and gives back the environment's lease (its anchor exists after the warm-up, as a team's would). */
async function acquireRelease(store: Store): Promise<void> {
  await time(`${store.name} acquire_release`, async () => {
    const lease = (await store.lock.acquire(ENV, { owner: "bench", ttlMs: 30_000 }))._unsafeUnwrap();
    (await store.lock.release(lease))._unsafeUnwrap();
  });
  await time(`${store.name} inspect`, async () => (await store.lock.inspect(ENV))._unsafeUnwrap());
}

/** Replays one run's records under a lease, each append fenced and durable. */
async function appendRun(store: Store, records: readonly JournalRecord[], round: number): Promise<void> {
  const runId = `${prefix}-${store.name}-${round}`;
  const lease = (
    await store.lock.acquire(ENV, { owner: `bench run ${runId}`, ttlMs: 30_000 })
  )._unsafeUnwrap();
  const fence = { key: ENV, token: lease.token };
  for (const record of records)
    (
      await time(`${store.name} append`, () => store.journal.append(runId, record, { fence }))
    )._unsafeUnwrap();
  (await store.lock.release(lease))._unsafeUnwrap();
}

async function clean(): Promise<void> {
  const host = createIncusHost()._unsafeUnwrap();
  const envs = [ENV, ...Array.from({ length: LEASE_ROUNDS + WARMUP }, (_, i) => `${ENV}-${i}`)];
  for (const env of envs)
    for (const kind of ["anchor", "archive"])
      await host.delete(`${prefix}-${kind}-${env}`, { stopFirst: true });
  await host.close();
  await promisify(execFile)(etcdEnv?.ETCDCTL_BIN ?? "etcdctl", [
    `--endpoints=${endpoints.join(",")}`,
    "del",
    "--prefix",
    `/${prefix}/`,
  ]);
}

async function main(): Promise<void> {
  const records = await runRecords();
  try {
    for (let round = 0; round < WARMUP + LEASE_ROUNDS; round++) {
      recording = round >= WARMUP;
      for (const store of round % 2 ? [...stores].reverse() : stores) await acquireRelease(store);
    }
    for (let round = 0; round < WARMUP + APPEND_ROUNDS; round++) {
      recording = round >= WARMUP;
      for (const store of round % 2 ? [...stores].reverse() : stores) await appendRun(store, records, round);
    }
    const ms = (x: number) => x.toFixed(1);
    console.log(
      `${LEASE_ROUNDS} acquire+release rounds per store; ${APPEND_ROUNDS} runs of ${records.length} fenced, synced records per store (load average ${loadavg()[0]?.toFixed(1)} on ${cpus().length} cores)`,
    );
    for (const s of stores)
      console.log(
        `  ${s.name}: acquire+release p50 ${ms(p50(`${s.name} acquire_release`))} ms, append p50 ${ms(p50(`${s.name} append`))} ms; floor: inspect (one read) p50 ${ms(p50(`${s.name} inspect`))} ms`,
      );
    const etcdAppend = p50("etcd append");
    console.log(`etcd append target ≤ 10 ms: ${etcdAppend <= 10 ? "met" : "MISSED"}`);
    console.log(
      `lease incus_acquire_release_p50_ms=${ms(p50("incus acquire_release"))} etcd_acquire_release_p50_ms=${ms(p50("etcd acquire_release"))} incus_append_p50_ms=${ms(p50("incus append"))} etcd_append_p50_ms=${ms(etcdAppend)}`,
    );
  } finally {
    for (const s of stores) await s.close();
    await clean();
  }
}

await main();
