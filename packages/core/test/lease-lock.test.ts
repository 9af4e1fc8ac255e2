import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { FileLeaseLock, type Lease, MemoryLeaseLock } from "../src/index";
import { runLeaseLockConformance } from "../src/testing/index";
import { tempDirs } from "./support/temp-dirs";

const tempDir = tempDirs("backflip-lock-");

runLeaseLockConformance({
  name: "file",
  setup: async () => ({ port: new FileLeaseLock({ dir: await tempDir() }), fixtures: {} }),
});

runLeaseLockConformance({
  name: "file, two clients on one directory",
  setup: async () => {
    const dir = await tempDir();
    return { port: new FileLeaseLock({ dir }), fixtures: { peer: new FileLeaseLock({ dir }) } };
  },
});

runLeaseLockConformance({
  name: "memory",
  setup: async () => ({ port: new MemoryLeaseLock(), fixtures: {} }),
});

/** A clock tests move by hand. */
function manualClock(start = Date.parse("2026-11-26T05:33:00Z")) {
  let now = start;
  return { now: () => new Date(now), advance: (ms: number) => (now += ms) };
}

const TSX = fileURLToPath(new URL("../../../node_modules/.bin/tsx", import.meta.url));
const RACER = fileURLToPath(new URL("./support/race-acquire.ts", import.meta.url));

interface Racer {
  readonly ready: Promise<void>;
  readonly go: () => void;
  readonly result: Promise<{ ok: boolean; token?: number; holder?: string }>;
}

function racer(dir: string, owner: string): Racer {
  const child = spawn(TSX, [RACER, dir, "staging", owner], { stdio: ["pipe", "pipe", "inherit"] });
  let out = "";
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });
  child.stdout.on("data", (chunk) => {
    out += chunk;
    if (out.startsWith("ready\n")) markReady();
  });
  const result = new Promise<{ ok: boolean; token?: number; holder?: string }>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0
        ? resolve(JSON.parse(out.slice("ready\n".length)))
        : reject(new Error(`racer exited ${code}`)),
    );
  });
  return { ready, go: () => child.stdin.end("go\n"), result };
}

describe("FileLeaseLock", () => {
  it("lets exactly one of several processes take the same key", async () => {
    const dir = await tempDir();
    const racers = Array.from({ length: 4 }, (_, i) => racer(dir, `proc ${i}`));
    await Promise.all(racers.map((r) => r.ready));
    for (const r of racers) r.go();
    const results = await Promise.all(racers.map((r) => r.result));
    const winners = results.filter((r) => r.ok);
    expect(winners).toHaveLength(1);
    const status = (await new FileLeaseLock({ dir }).inspect("staging"))._unsafeUnwrap();
    expect(status?.lease.token).toBe(winners[0]!.token);
    for (const loser of results.filter((r) => !r.ok)) expect(loser.holder).toBe(status?.lease.owner);
  });

  it("keeps fencing tokens growing across breaks, releases and fresh instances", async () => {
    const dir = await tempDir();
    const clock = manualClock();
    const tokens: number[] = [];
    for (let i = 0; i < 3; i++) {
      const lock = new FileLeaseLock({ dir, now: clock.now });
      const lease = (await lock.acquire("staging", { owner: `run ${i}`, ttlMs: 1_000 }))._unsafeUnwrap();
      tokens.push(lease.token);
      clock.advance(2_000);
      expect((await lock.inspect("staging"))._unsafeUnwrap()?.stale).toBe(true);
      expect(
        (await new FileLeaseLock({ dir, now: clock.now }).breakStale("staging"))._unsafeUnwrap(),
      ).toEqual(lease);
    }
    const last = (
      await new FileLeaseLock({ dir, now: clock.now }).acquire("staging", { owner: "last", ttlMs: 1_000 })
    )._unsafeUnwrap();
    tokens.push(last.token);
    expect(tokens).toEqual([...tokens].sort((a, b) => a - b));
    expect(new Set(tokens).size).toBe(tokens.length);
  });

  it("reports an expired lease as stale with its owner and does not take it over", async () => {
    const dir = await tempDir();
    const clock = manualClock();
    const lock = new FileLeaseLock({ dir, now: clock.now });
    const dead = (
      await lock.acquire("prod", { owner: "alice@host pid 7 run r1", ttlMs: 5_000 })
    )._unsafeUnwrap();
    clock.advance(5_001);
    const error = (await lock.acquire("prod", { owner: "bob", ttlMs: 5_000 }))._unsafeUnwrapErr();
    expect(error.details).toMatchObject({ owner: "alice@host pid 7 run r1", stale: true });
    expect(error.message).toContain("alice@host pid 7 run r1");
    expect((await lock.inspect("prod"))._unsafeUnwrap()).toEqual({ lease: dead, stale: true });
  });
});

describe("MemoryLeaseLock", () => {
  it("goes stale on its clock and is broken only by breakStale", async () => {
    const clock = manualClock();
    const lock = new MemoryLeaseLock({ now: clock.now });
    const dead = (await lock.acquire("staging", { owner: "alice", ttlMs: 1_000 }))._unsafeUnwrap();
    clock.advance(999);
    expect((await lock.breakStale("staging"))._unsafeUnwrapErr().reason).toBe("conflict");
    clock.advance(1);
    expect(
      (await lock.acquire("staging", { owner: "bob", ttlMs: 1_000 }))._unsafeUnwrapErr().details,
    ).toMatchObject({
      owner: "alice",
      stale: true,
    });
    expect((await lock.breakStale("staging"))._unsafeUnwrap()).toEqual(dead);
    expect((await lock.acquire("staging", { owner: "bob", ttlMs: 1_000 }))._unsafeUnwrap().token).toBe(
      dead.token + 1,
    );
  });
});

/**
 * Renew and break racing. The locks' clock runs the other party's calls the first time it
 * is asked for the time — inside the window of a renew that checks, then writes, or of a
 * break that reads the lease, then removes it. A renew interrupted by a break and a new
 * grant must not win; a break interrupted by a renewal must not remove the renewed lease.
 */
describe.each([
  [
    "FileLeaseLock",
    async () => {
      const dir = await tempDir();
      return (now: () => Date) => new FileLeaseLock({ dir, now });
    },
  ],
  [
    "MemoryLeaseLock",
    async () => {
      let shared: MemoryLeaseLock | undefined;
      return (now: () => Date) => (shared ??= new MemoryLeaseLock({ now }));
    },
  ],
] as const)("%s renew is a compare-and-swap against the latest grant", (_, makeFactory) => {
  it("cannot overwrite a grant another holder took while it was renewing", async () => {
    const factory = await makeFactory();
    const clock = manualClock();
    let interleave: (() => void) | undefined;
    const now = () => {
      const run = interleave;
      interleave = undefined;
      run?.();
      return clock.now();
    };
    const alice = factory(now);
    const bob = factory(now);
    const old = (await alice.acquire("staging", { owner: "alice run 1", ttlMs: 1_000 }))._unsafeUnwrap();
    clock.advance(2_000);
    let taken: number | undefined;
    interleave = () => {
      void bob.breakStale("staging");
      void bob.acquire("staging", { owner: "bob run 2", ttlMs: 60_000 }).map((l) => {
        taken = l.token;
        return l;
      });
    };
    const renewed = await alice.renew(old, 60_000);
    await new Promise((resolve) => setImmediate(resolve));
    expect(taken).toBeGreaterThan(old.token);
    expect(renewed._unsafeUnwrapErr().reason).toBe("conflict");
    const status = (await bob.inspect("staging"))._unsafeUnwrap();
    expect(status?.lease).toMatchObject({ owner: "bob run 2", token: taken });
  });

  it("keeps a lease its holder renewed while another holder was breaking it", async () => {
    const factory = await makeFactory();
    const clock = manualClock();
    let interleave: (() => void) | undefined;
    const now = () => {
      const run = interleave;
      interleave = undefined;
      run?.();
      return clock.now();
    };
    const alice = factory(now);
    const bob = factory(now);
    const old = (await alice.acquire("staging", { owner: "alice run 1", ttlMs: 1_000 }))._unsafeUnwrap();
    clock.advance(2_000);
    let renewed: Lease | undefined;
    interleave = () => {
      void alice.renew(old, 60_000).map((l) => {
        renewed = l;
        return l;
      });
    };
    const broken = await bob.breakStale("staging");
    await new Promise((resolve) => setImmediate(resolve));
    expect(renewed?.token).toBe(old.token);
    expect(broken._unsafeUnwrapErr().reason).toBe("conflict");
    expect((await bob.inspect("staging"))._unsafeUnwrap()).toEqual({ lease: renewed, stale: false });
  });
});
