import { setTimeout as sleep } from "node:timers/promises";
import type { JournalRecord, LeaseLock } from "@backflip/core";
import { skipUnlessBackend } from "@backflip/core/testing";
import { Agent, type Dispatcher } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { createIncusCoordination, type IncusCoordination } from "../src/create-incus-coordination";
import { coordination, removeAnchors, uniquePrefix } from "./coordination-lab";
import { incus, incusAvailable, incusSocket } from "./incus-lab";

const skip = skipUnlessBackend(await incusAvailable(), "incus", "scripts/backends up incus");
const LONG = 60_000;

const opened: IncusCoordination[] = [];
const prefixes: string[] = [];

/** A fresh prefix and `n` separate stores on it (separate clients: no shared memory or queue). */
function stores(n: number, names = ["alice@laptop-a", "bob@laptop-b"]): IncusCoordination[] {
  const prefix = uniquePrefix();
  prefixes.push(prefix);
  const made = Array.from({ length: n }, (_, i) => coordination(prefix, names[i] ?? `racer-${i}`));
  opened.push(...made);
  return made;
}

function record(
  runId: string,
  seq: number,
  type: "plan.started" | "step.log" | "plan.finished",
): JournalRecord {
  const base = { runId, at: new Date(1_700_000_000_000 + seq).toISOString(), elapsedMs: seq };
  if (type === "plan.started") {
    return {
      seq,
      event: {
        ...base,
        type,
        owner: "alice@laptop-a pid 1",
        intent: { path: "custom", env: "staging", actor: "alice", reason: "store test", params: {} },
        steps: [],
      },
    };
  }
  if (type === "plan.finished") {
    return { seq, event: { ...base, type, state: "succeeded", durationMs: seq } } as JournalRecord;
  }
  return { seq, event: { ...base, type, stepId: "flip", message: `line ${seq}` } };
}

/** Config of an instance as Incus has it. */
async function configOf(name: string): Promise<Record<string, string>> {
  return (JSON.parse(await incus("query", `/1.0/instances/${name}`)) as { config: Record<string, string> })
    .config;
}

/** Waits (bounded) until `lock` judges the lease on `key` stale by the server's clock. */
async function untilStale(lock: LeaseLock, key: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if ((await lock.inspect(key))._unsafeUnwrap()?.stale) return;
    await sleep(50);
  }
  throw new Error(`the lease on ${key} never went stale`);
}

describe.skipIf(skip)("incus coordination store (real)", () => {
  afterEach(async () => {
    for (const store of opened.splice(0)) await store.close();
    for (const prefix of prefixes.splice(0)) await removeAnchors(prefix);
  });

  it("refuses a broken holder's renew and append in Incus itself, and records who broke the lease", async () => {
    const [a, b] = stores(2);
    const run = "20261207T040000Z-aaaaaa";
    const old = (await a!.lock.acquire("staging", { owner: `alice run ${run}`, ttlMs: 200 }))._unsafeUnwrap();
    const oldFence = { key: "staging", token: old.token };
    expect((await a!.journal.append(run, record(run, 0, "plan.started"), { fence: oldFence })).isOk()).toBe(
      true,
    );
    await untilStale(b!.lock, "staging");
    expect((await b!.lock.breakStale("staging"))._unsafeUnwrap()).toEqual(old);
    const next = (await b!.lock.acquire("staging", { owner: "bob run 2", ttlMs: LONG }))._unsafeUnwrap();
    expect(next.token).toBeGreaterThan(old.token);

    // Laptop A's store never saw the break: only Incus can refuse it.
    const append = await a!.journal.append(run, record(run, 1, "step.log"), { fence: oldFence });
    expect(append._unsafeUnwrapErr()).toMatchObject({
      driver: "incus",
      reason: "conflict",
      details: { fenced: true, key: "staging", token: old.token, current: next.token },
    });
    expect((await a!.lock.renew(old, LONG))._unsafeUnwrapErr()).toMatchObject({
      reason: "conflict",
      details: { owner: "bob run 2", token: next.token },
    });
    expect((await b!.journal.read(run))._unsafeUnwrap()).toEqual([record(run, 0, "plan.started")]);
    expect((await b!.lock.inspect("staging"))._unsafeUnwrap()?.lease).toEqual(next);

    const breaks = (await a!.lock.breaks("staging"))._unsafeUnwrap();
    expect(breaks).toEqual([{ lease: old, brokenBy: "bob@laptop-b", brokenAt: expect.any(String) }]);
    expect(Date.parse(breaks[0]!.brokenAt)).toBeGreaterThanOrEqual(Date.parse(old.expiresAt));
  });

  it("lets exactly one of eight separate clients win each round (If-Match on one ETag)", async () => {
    const racers = stores(8);
    // The anchor exists before the race: every round is eight If-Match writes on one ETag.
    const first = (await racers[0]!.lock.acquire("prod", { owner: "setup", ttlMs: LONG }))._unsafeUnwrap();
    expect((await racers[0]!.lock.release(first)).isOk()).toBe(true);
    let last = first.token;
    for (let round = 0; round < 5; round++) {
      const results = await Promise.all(
        racers.map((s, i) => s.lock.acquire("prod", { owner: `racer ${i} round ${round}`, ttlMs: LONG })),
      );
      const won = results.filter((r) => r.isOk()).map((r) => r._unsafeUnwrap());
      const lost = results.flatMap((r) => (r.isErr() ? [`${r.error.reason}: ${r.error.message}`] : []));
      expect(won, lost.join("; ")).toHaveLength(1);
      expect(won[0]!.token).toBeGreaterThan(last);
      last = won[0]!.token;
      for (const refused of results.filter((r) => r.isErr())) {
        expect(refused._unsafeUnwrapErr()).toMatchObject({
          reason: "conflict",
          details: { owner: won[0]!.owner },
        });
      }
      expect((await racers[0]!.lock.release(won[0]!)).isOk()).toBe(true);
    }
  });

  it("never lets a renew racing a break and a new grant overwrite the newer grant", async () => {
    const [a, b] = stores(2);
    for (let i = 0; i < 6; i++) {
      const lease = (await a!.lock.acquire("staging", { owner: `alice ${i}`, ttlMs: 100 }))._unsafeUnwrap();
      await untilStale(b!.lock, "staging");
      const [renewed, taken] = await Promise.all([
        a!.lock.renew(lease, LONG),
        b!.lock
          .breakStale("staging")
          .andThen(() => b!.lock.acquire("staging", { owner: `bob ${i}`, ttlMs: LONG })),
      ]);
      expect(renewed.isOk() !== taken.isOk()).toBe(true);
      const winner = renewed.isOk() ? renewed.value : taken._unsafeUnwrap();
      expect((await a!.lock.inspect("staging"))._unsafeUnwrap()?.lease).toEqual(winner);
      (await b!.lock.release(winner))._unsafeUnwrap();
    }
  });

  it("moves a finished run from the anchor to the archive, readable and listed from any client", async () => {
    const [a, b] = stores(2);
    const run = "20261207T040100Z-bbbbbb";
    const written = [
      record(run, 0, "plan.started"),
      record(run, 1, "step.log"),
      record(run, 2, "plan.finished"),
    ];
    for (const r of written)
      expect((await a!.journal.append(run, r, { sync: r.seq !== 1 })).isOk()).toBe(true);
    await a!.journal.settle();
    const prefix = prefixes[prefixes.length - 1]!;
    const anchor = await configOf(`${prefix}-anchor-staging`);
    expect(Object.keys(anchor).filter((k) => /^user\.backflip\.(run|live)\./.test(k))).toEqual([]);
    const archive = await configOf(`${prefix}-archive-staging`);
    expect(Object.keys(archive).filter((k) => k.startsWith("user.backflip.run."))).toEqual([
      `user.backflip.run.${run}`,
    ]);
    expect((await b!.journal.read(run))._unsafeUnwrap()).toEqual(written);
    expect((await b!.journal.list())._unsafeUnwrap()).toEqual([run]);
    // Written several times each, both still say what they are (a PATCH sets the description).
    for (const name of [`${prefix}-anchor-staging`, `${prefix}-archive-staging`])
      expect(JSON.parse(await incus("query", `/1.0/instances/${name}`)).description).toMatch(
        /^Backflip coordination \(.+\): never start it$/,
      );
  });

  it("keeps at most archiveRuns finished runs per archive: later ones go to the next generation, all readable", async () => {
    const prefix = uniquePrefix();
    prefixes.push(prefix);
    const [a, b] = [coordination(prefix, "alice", 2), coordination(prefix, "bob", 2)];
    opened.push(a, b);
    const runs = [1, 2, 3, 4, 5].map((n) => `20261207T0603${n}0Z-ffffff`);
    for (const run of runs) {
      for (const r of [record(run, 0, "plan.started"), record(run, 1, "plan.finished")])
        expect((await a.journal.append(run, r)).isOk()).toBe(true);
      await a.journal.settle();
    }
    const archived = async (name: string) =>
      Object.keys(await configOf(name)).filter((k) => k.startsWith("user.backflip.run."));
    expect(await archived(`${prefix}-archive-staging`)).toHaveLength(2);
    expect(await archived(`${prefix}-archive1-staging`)).toHaveLength(2);
    expect(await archived(`${prefix}-archive2-staging`)).toHaveLength(1);
    expect((await configOf(`${prefix}-anchor-staging`))["user.backflip.archive-generation"]).toBe("2");
    // Another client reads each run (the oldest from the first archive) and lists them all.
    for (const run of runs)
      expect((await b.journal.read(run))._unsafeUnwrap()).toEqual([
        record(run, 0, "plan.started"),
        record(run, 1, "plan.finished"),
      ]);
    expect((await b.journal.list())._unsafeUnwrap()).toEqual(runs);
  });

  it("writes a run's first records with its first synced one, and frees its lease with its last", async () => {
    const [a, b] = stores(2);
    const run = "20261207T040200Z-cccccc";
    const lease = (
      await a!.lock.acquire("staging", { owner: `alice run ${run}`, ttlMs: LONG })
    )._unsafeUnwrap();
    const fence = { key: "staging", token: lease.token };
    const prefix = prefixes[prefixes.length - 1]!;
    const runKeys = async () =>
      Object.keys(await configOf(`${prefix}-anchor-staging`)).filter((k) =>
        /^user\.backflip\.(run|live)\./.test(k),
      );
    // Not synced (the runner's plan.started and check steps): only the lease shows the run yet.
    expect(
      (await a!.journal.append(run, record(run, 0, "plan.started"), { sync: false, fence })).isOk(),
    ).toBe(true);
    expect(await runKeys()).toEqual([]);
    expect((await b!.lock.inspect("staging"))._unsafeUnwrap()?.lease.owner).toBe(`alice run ${run}`);
    expect((await a!.journal.append(run, record(run, 1, "step.log"), { fence })).isOk()).toBe(true);
    // Both records in the run's one key: the anchor grows by one key per run, not per record.
    expect(await runKeys()).toEqual([`user.backflip.live.${run}`]);
    expect((await b!.journal.read(run))._unsafeUnwrap()).toEqual([
      record(run, 0, "plan.started"),
      record(run, 1, "step.log"),
    ]);
    // The finished record frees the lease in the same write; the release then has nothing to do.
    expect((await a!.journal.append(run, record(run, 2, "plan.finished"), { fence })).isOk()).toBe(true);
    expect((await b!.lock.inspect("staging"))._unsafeUnwrap()).toBeNull();
    expect((await a!.lock.release(lease)).isOk()).toBe(true);
    const next = (await b!.lock.acquire("staging", { owner: "bob run 2", ttlMs: LONG }))._unsafeUnwrap();
    expect(next.token).toBeGreaterThan(lease.token);
    // A stale release of the freed lease leaves the next holder alone.
    expect((await a!.lock.release(lease)).isOk()).toBe(true);
    expect((await b!.lock.inspect("staging"))._unsafeUnwrap()?.lease).toEqual(next);
    expect((await b!.journal.read(run))._unsafeUnwrap()).toEqual([
      record(run, 0, "plan.started"),
      record(run, 1, "step.log"),
      record(run, 2, "plan.finished"),
    ]);
  });

  it("reads a run the previous layout left on an anchor (one key per record), gaps included, moves it to one key on its next append, and reports a value it cannot read", async () => {
    const [a, b] = stores(2);
    const prefix = prefixes[prefixes.length - 1]!;
    const anchor = `${prefix}-anchor-staging`;
    // The anchor exists (a lease taken and given back), then gets two old-layout runs.
    const lease = (await a!.lock.acquire("staging", { owner: "alice", ttlMs: LONG }))._unsafeUnwrap();
    (await a!.lock.release(lease))._unsafeUnwrap();
    const [run, holed, garbled] = [
      "20261207T040300Z-dddddd",
      "20261207T040400Z-eeeeee",
      "20261207T040500Z-ffffff",
    ];
    const old = (r: JournalRecord) => [
      `user.backflip.run.${r.event.runId}.${String(r.seq).padStart(6, "0")}=${JSON.stringify(r.event)}`,
    ];
    const written = [record(run, 0, "plan.started"), record(run, 1, "step.log")];
    await incus(
      "config",
      "set",
      anchor,
      ...written.flatMap(old),
      ...[record(holed, 0, "plan.started"), record(holed, 2, "step.log")].flatMap(old),
      `user.backflip.live.${garbled}=edited by hand`,
    );
    expect((await b!.journal.read(run))._unsafeUnwrap()).toEqual(written);
    expect((await b!.journal.list())._unsafeUnwrap()).toEqual([run, holed, garbled]);
    const unreadable = (await b!.journal.read(garbled))._unsafeUnwrapErr();
    expect([unreadable.reason, unreadable.message]).toEqual([
      "failed",
      expect.stringContaining(`run ${garbled} on ${anchor} is not readable`),
    ]);
    expect(
      (await b!.journal.append(garbled, record(garbled, 0, "plan.started")))._unsafeUnwrapErr().reason,
    ).toBe("failed");
    const gap = (await b!.journal.read(holed))._unsafeUnwrapErr();
    expect(gap.reason).toBe("failed");
    expect(gap.message).toContain("misses record 1");
    // Appending to the holed run is refused too; the other one moves to its one key.
    expect((await b!.journal.append(holed, record(holed, 3, "step.log")))._unsafeUnwrapErr().reason).toBe(
      "failed",
    );
    expect((await b!.journal.append(run, record(run, 2, "step.log"))).isOk()).toBe(true);
    const keys = Object.keys(await configOf(anchor)).filter((k) => k.includes(run));
    expect(keys).toEqual([`user.backflip.live.${run}`]);
    expect((await a!.journal.read(run))._unsafeUnwrap()).toEqual([...written, record(run, 2, "step.log")]);
  });

  it("sends a write after its own on the ETag it predicted, without a read; a foreign write in between still wins", async () => {
    const [bob] = stores(1, ["bob@laptop-b"]);
    const prefix = prefixes[prefixes.length - 1]!;
    const sent: string[] = [];
    const agent = new Agent({ connect: { socketPath: incusSocket } });
    const dispatch = agent.dispatch.bind(agent);
    agent.dispatch = (options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler) => {
      sent.push(`${options.method} ${options.path.split("?")[0]}`);
      return dispatch(options, handler);
    };
    const alice = createIncusCoordination({ dispatcher: agent, prefix, actor: "alice" })._unsafeUnwrap();
    opened.push(alice);
    const anchor = `/1.0/instances/${prefix}-anchor-staging`;
    const run = "20261207T050000Z-dddddd";
    const lease = (
      await alice.lock.acquire("staging", { owner: `alice run ${run}`, ttlMs: LONG })
    )._unsafeUnwrap();
    const fence = { key: "staging", token: lease.token };
    sent.length = 0;
    expect((await alice.journal.append(run, record(run, 0, "plan.started"), { fence })).isOk()).toBe(true);
    expect((await alice.journal.append(run, record(run, 1, "step.log"), { fence })).isOk()).toBe(true);
    // Incus took both writes on predicted ETags: no read of the anchor before either.
    expect(sent).toEqual([`PATCH ${anchor}`, `PATCH ${anchor}`]);
    // Bob writes in between (another run's record on the same anchor): Alice's prediction is
    // now wrong, Incus refuses it (412), and she writes again on a fresh read.
    const other = "20261207T050100Z-eeeeee";
    expect((await bob!.journal.append(other, record(other, 0, "plan.started"))).isOk()).toBe(true);
    sent.length = 0;
    expect((await alice.journal.append(run, record(run, 2, "step.log"), { fence })).isOk()).toBe(true);
    expect(sent.filter((s) => s.endsWith(anchor))).toEqual([
      `PATCH ${anchor}`,
      `GET ${anchor}`,
      `PATCH ${anchor}`,
    ]);
    expect((await bob!.journal.read(run))._unsafeUnwrap()).toEqual([
      record(run, 0, "plan.started"),
      record(run, 1, "step.log"),
      record(run, 2, "step.log"),
    ]);
    expect((await bob!.journal.read(other))._unsafeUnwrap()).toEqual([record(other, 0, "plan.started")]);
  });

  it("keeps tokens growing when the anchor is deleted and created again; one issuer for every client", async () => {
    const [a, b] = stores(2);
    expect(a!.lock.issuer).toBe(b!.lock.issuer);
    const first = (await a!.lock.acquire("staging", { owner: "alice", ttlMs: LONG }))._unsafeUnwrap();
    await removeAnchors(prefixes[prefixes.length - 1]!);
    // The floor is the server's time as each client estimates it (up to ~1 s behind):
    // an anchor is re-created by hand, long after its last grant, not within a second.
    await sleep(1_500);
    const second = (await b!.lock.acquire("staging", { owner: "bob", ttlMs: LONG }))._unsafeUnwrap();
    expect(second.token).toBeGreaterThan(first.token);
  });

  it("refuses an environment that cannot name an instance, and an instance that is not an anchor", async () => {
    const [a] = stores(1);
    const bad = await a!.lock.acquire("a_b", { owner: "alice", ttlMs: LONG });
    expect(bad._unsafeUnwrapErr().reason).toBe("invalid_input");
    const prefix = prefixes[prefixes.length - 1]!;
    await incus("init", "--empty", `${prefix}-anchor-staging`);
    const taken = (await a!.lock.acquire("staging", { owner: "alice", ttlMs: LONG }))._unsafeUnwrapErr();
    expect(taken).toMatchObject({ reason: "conflict" });
    expect(taken.message).toContain(`${prefix}-anchor-staging`);
    expect(await configOf(`${prefix}-anchor-staging`)).not.toHaveProperty("user.backflip.lease.owner");
  });
});
