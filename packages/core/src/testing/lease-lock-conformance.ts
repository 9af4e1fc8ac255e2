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

/**
 * The LeaseLock conformance suite: run it against every lease lock (file, memory, a
 * driver's own). Each test gets a fresh lock from `target.setup()` whose clock is the
 * real one: expiry tests take a lease of a few milliseconds and wait for it to lapse.
 */
export function runLeaseLockConformance(target: ConformanceTarget<LeaseLock>): void {
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
