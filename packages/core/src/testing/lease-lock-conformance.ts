import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import type { LeaseLock } from "../ports/lease-lock";
import type { ConformanceTarget } from "./conformance-target";
import { withFixture } from "./with-fixture";

/** Long enough that a lease taken in a test never expires by itself during it. */
const LONG = 60_000;
/** Short enough to expire in the test; the suite waits `EXPIRED_AFTER` for it. */
const SHORT = 30;
const EXPIRED_AFTER = 120;

/** What a lease lock's conformance target may add to the lock under test. */
export interface LeaseLockFixtures {
  /**
   * A second client of the same lock store (another process's or machine's view, e.g. a
   * second lock on the same directory): the takeover tests break and retake leases
   * through it. Without it they use the lock under test itself.
   */
  readonly peer?: LeaseLock;
}

/**
 * The LeaseLock conformance suite: run it against every lease lock (file, memory, a
 * driver's own). Each test gets a fresh lock from `target.setup()` whose clock is the
 * real one: expiry tests take a lease of a few milliseconds and wait for it to lapse.
 * The takeover tests (a stale holder after another client broke its lease and took a
 * new one) go through `fixtures.peer` when given.
 */
export function runLeaseLockConformance(target: ConformanceTarget<LeaseLock, LeaseLockFixtures>): void {
  describe.skipIf(target.skip ?? false)(`LeaseLock conformance: ${target.name}`, () => {
    it("grants a free key with owner, token and expiry", () =>
      withFixture(target, async (lock) => {
        const lease = (await lock.acquire("staging", { owner: "alice run 1", ttlMs: LONG }))._unsafeUnwrap();
        expect(lease).toMatchObject({ key: "staging", owner: "alice run 1" });
        expect(lease.token).toBeGreaterThan(0);
        expect(Date.parse(lease.expiresAt)).toBeGreaterThan(Date.parse(lease.acquiredAt));
        const status = (await lock.inspect("staging"))._unsafeUnwrap();
        expect(status).toEqual({ lease, stale: false });
      }));

    it("refuses a held key with conflict naming the holder", () =>
      withFixture(target, async (lock) => {
        await lock.acquire("staging", { owner: "alice run 1", ttlMs: LONG });
        const second = await lock.acquire("staging", { owner: "bob run 2", ttlMs: LONG });
        const error = second._unsafeUnwrapErr();
        expect(error.reason).toBe("conflict");
        expect(error.details).toMatchObject({ owner: "alice run 1", stale: false });
        expect(error.message).toContain("alice run 1");
      }));

    it("lets exactly one of several racers take a key", () =>
      withFixture(target, async (lock) => {
        const results = await Promise.all(
          Array.from({ length: 8 }, (_, i) => lock.acquire("prod", { owner: `racer ${i}`, ttlMs: LONG })),
        );
        expect(results.filter((r) => r.isOk())).toHaveLength(1);
        for (const r of results.filter((r) => r.isErr()))
          expect(r._unsafeUnwrapErr().reason).toBe("conflict");
      }));

    it("keeps keys independent", () =>
      withFixture(target, async (lock) => {
        expect((await lock.acquire("staging", { owner: "a", ttlMs: LONG })).isOk()).toBe(true);
        expect((await lock.acquire("prod", { owner: "b", ttlMs: LONG })).isOk()).toBe(true);
      }));

    it("gives each new lease on a key a larger fencing token", () =>
      withFixture(target, async (lock) => {
        let last = 0;
        for (let i = 0; i < 4; i++) {
          const lease = (await lock.acquire("staging", { owner: `run ${i}`, ttlMs: LONG }))._unsafeUnwrap();
          expect(lease.token).toBeGreaterThan(last);
          last = lease.token;
          expect((await lock.release(lease)).isOk()).toBe(true);
        }
      }));

    it("renews a held lease (same token, later expiry) and refuses a lost one", () =>
      withFixture(target, async (lock) => {
        const lease = (await lock.acquire("staging", { owner: "alice", ttlMs: 1_000 }))._unsafeUnwrap();
        const renewed = (await lock.renew(lease, LONG))._unsafeUnwrap();
        expect(renewed.token).toBe(lease.token);
        expect(Date.parse(renewed.expiresAt)).toBeGreaterThan(Date.parse(lease.expiresAt));
        await lock.release(renewed);
        expect((await lock.renew(renewed, LONG))._unsafeUnwrapErr().reason).toBe("conflict");
      }));

    it("releases idempotently, and never someone else's lease", () =>
      withFixture(target, async (lock) => {
        const first = (await lock.acquire("staging", { owner: "alice", ttlMs: LONG }))._unsafeUnwrap();
        expect((await lock.release(first)).isOk()).toBe(true);
        expect((await lock.release(first)).isOk()).toBe(true);
        expect((await lock.inspect("staging"))._unsafeUnwrap()).toBeNull();
        const second = (await lock.acquire("staging", { owner: "bob", ttlMs: LONG }))._unsafeUnwrap();
        expect((await lock.release(first)).isOk()).toBe(true);
        expect((await lock.inspect("staging"))._unsafeUnwrap()?.lease.owner).toBe(second.owner);
      }));

    it("reports an expired lease as stale with its owner, and breaks it only on request", () =>
      withFixture(target, async (lock) => {
        const dead = (await lock.acquire("staging", { owner: "alice run 1", ttlMs: SHORT }))._unsafeUnwrap();
        await sleep(EXPIRED_AFTER);
        const status = (await lock.inspect("staging"))._unsafeUnwrap();
        expect(status).toEqual({ lease: dead, stale: true });
        const refused = (
          await lock.acquire("staging", { owner: "bob run 2", ttlMs: LONG })
        )._unsafeUnwrapErr();
        expect(refused.reason).toBe("conflict");
        expect(refused.details).toMatchObject({ owner: "alice run 1", stale: true });
        expect((await lock.inspect("staging"))._unsafeUnwrap()?.lease).toEqual(dead);
        const broken = (await lock.breakStale("staging"))._unsafeUnwrap();
        expect(broken).toEqual(dead);
        const next = (await lock.acquire("staging", { owner: "bob run 2", ttlMs: LONG }))._unsafeUnwrap();
        expect(next.token).toBeGreaterThan(dead.token);
        expect((await lock.renew(dead, LONG))._unsafeUnwrapErr().reason).toBe("conflict");
      }));

    it("refuses a stale holder's renew after another holder broke and retook the key, leaving the new lease as it was", () =>
      withFixture(target, async (lock, { peer = lock }) => {
        const old = (await lock.acquire("staging", { owner: "alice run 1", ttlMs: SHORT }))._unsafeUnwrap();
        await sleep(EXPIRED_AFTER);
        expect((await peer.breakStale("staging"))._unsafeUnwrap().token).toBe(old.token);
        const next = (await peer.acquire("staging", { owner: "bob run 2", ttlMs: LONG }))._unsafeUnwrap();
        const renewed = await lock.renew(old, LONG);
        expect(renewed._unsafeUnwrapErr().reason).toBe("conflict");
        expect((await lock.inspect("staging"))._unsafeUnwrap()).toEqual({ lease: next, stale: false });
        expect((await peer.renew(next, LONG))._unsafeUnwrap().token).toBe(next.token);
      }));

    it("lets a stale holder's release leave the new holder's lease alone", () =>
      withFixture(target, async (lock, { peer = lock }) => {
        const old = (await lock.acquire("staging", { owner: "alice run 1", ttlMs: SHORT }))._unsafeUnwrap();
        await sleep(EXPIRED_AFTER);
        (await peer.breakStale("staging"))._unsafeUnwrap();
        const next = (await peer.acquire("staging", { owner: "bob run 2", ttlMs: LONG }))._unsafeUnwrap();
        expect((await lock.release(old)).isOk()).toBe(true);
        expect((await peer.inspect("staging"))._unsafeUnwrap()).toEqual({ lease: next, stale: false });
        expect(
          (await lock.acquire("staging", { owner: "carol run 3", ttlMs: LONG }))._unsafeUnwrapErr().details,
        ).toMatchObject({ owner: "bob run 2", stale: false });
      }));

    it("keeps fencing tokens strictly increasing across breaks and acquires by different clients", () =>
      withFixture(target, async (lock, { peer = lock }) => {
        const tokens: number[] = [];
        for (let i = 0; i < 3; i++) {
          const holder = i % 2 === 0 ? lock : peer;
          const breaker = i % 2 === 0 ? peer : lock;
          const lease = (
            await holder.acquire("staging", { owner: `run ${i}`, ttlMs: SHORT })
          )._unsafeUnwrap();
          tokens.push(lease.token);
          await sleep(EXPIRED_AFTER);
          expect((await breaker.breakStale("staging"))._unsafeUnwrap().token).toBe(lease.token);
        }
        const last = (await lock.acquire("staging", { owner: "last", ttlMs: LONG }))._unsafeUnwrap();
        tokens.push(last.token);
        for (let i = 1; i < tokens.length; i++) expect(tokens[i]).toBeGreaterThan(tokens[i - 1]!);
      }));

    it("shows no lease after a break, then the new one, live, after the next acquire", () =>
      withFixture(target, async (lock, { peer = lock }) => {
        await lock.acquire("staging", { owner: "alice run 1", ttlMs: SHORT });
        await sleep(EXPIRED_AFTER);
        (await peer.breakStale("staging"))._unsafeUnwrap();
        expect((await lock.inspect("staging"))._unsafeUnwrap()).toBeNull();
        expect((await peer.inspect("staging"))._unsafeUnwrap()).toBeNull();
        expect((await peer.breakStale("staging"))._unsafeUnwrapErr().reason).toBe("not_found");
        const next = (await peer.acquire("staging", { owner: "bob run 2", ttlMs: LONG }))._unsafeUnwrap();
        expect((await lock.inspect("staging"))._unsafeUnwrap()).toEqual({ lease: next, stale: false });
      }));

    it("renews a lease that expired but was not broken (still the latest grant)", () =>
      withFixture(target, async (lock) => {
        const lease = (await lock.acquire("staging", { owner: "alice run 1", ttlMs: SHORT }))._unsafeUnwrap();
        await sleep(EXPIRED_AFTER);
        const renewed = (await lock.renew(lease, LONG))._unsafeUnwrap();
        expect(renewed.token).toBe(lease.token);
        expect((await lock.inspect("staging"))._unsafeUnwrap()).toEqual({ lease: renewed, stale: false });
        expect((await lock.breakStale("staging"))._unsafeUnwrapErr().reason).toBe("conflict");
      }));

    it("refuses to break a live lease, and says not_found for a free key", () =>
      withFixture(target, async (lock) => {
        expect((await lock.breakStale("staging"))._unsafeUnwrapErr().reason).toBe("not_found");
        const live = (await lock.acquire("staging", { owner: "alice", ttlMs: LONG }))._unsafeUnwrap();
        const refused = (await lock.breakStale("staging"))._unsafeUnwrapErr();
        expect(refused.reason).toBe("conflict");
        expect(refused.details).toMatchObject({ owner: "alice" });
        expect((await lock.inspect("staging"))._unsafeUnwrap()?.lease).toEqual(live);
      }));

    it("refuses bad keys and options with invalid_input, taking nothing", () =>
      withFixture(target, async (lock) => {
        for (const key of ["", "../etc", "a/b", ".x"]) {
          expect((await lock.acquire(key, { owner: "a", ttlMs: LONG }))._unsafeUnwrapErr().reason).toBe(
            "invalid_input",
          );
        }
        for (const options of [
          { owner: "", ttlMs: LONG },
          { owner: "a", ttlMs: 0 },
          { owner: "a", ttlMs: -5 },
          { owner: "a", ttlMs: 1.5 },
        ]) {
          expect((await lock.acquire("staging", options))._unsafeUnwrapErr().reason).toBe("invalid_input");
        }
        expect((await lock.inspect("staging"))._unsafeUnwrap()).toBeNull();
      }));
  });
}
