import { setTimeout as sleep } from "node:timers/promises";
import type { JournalRecord } from "@backflip/core";
import { describe, expect, it } from "vitest";
import { createEtcdCoordination } from "../src/index";
import { deletePrefix, ENDPOINTS, freshPrefix, skipEtcd } from "./support/etcd-backend";

const record = (seq: number, owner: string): JournalRecord =>
  ({
    seq,
    event: {
      type: "step.log",
      runId: "r1",
      at: new Date().toISOString(),
      elapsedMs: 0,
      stepId: "s",
      message: owner,
    },
  }) as JournalRecord;

describe.skipIf(skipEtcd)("etcd refuses a stale holder (real cluster)", () => {
  it("a holder whose lease expired in etcd (server-side TTL) and was retaken cannot append: etcd refuses it", async () => {
    const prefix = freshPrefix("fence");
    // No grace: the etcd lease lapses with the lease itself (etcd rounds TTLs up to its minimum).
    const alice = createEtcdCoordination({ endpoints: ENDPOINTS, prefix, staleGraceMs: 0 })._unsafeUnwrap();
    const bob = createEtcdCoordination({ endpoints: ENDPOINTS, prefix })._unsafeUnwrap();
    const old = (await alice.lock.acquire("staging", { owner: "alice", ttlMs: 1_000 }))._unsafeUnwrap();
    const fence = { key: "staging", token: old.token };
    expect((await alice.journal.append("r1", record(0, "alice"), { fence })).isOk()).toBe(true);

    // Alice stops renewing (a frozen laptop). Nobody breaks her lease: etcd drops it.
    let status = (await bob.lock.inspect("staging"))._unsafeUnwrap();
    for (let i = 0; status !== null && i < 100; i++) {
      await sleep(100);
      status = (await bob.lock.inspect("staging"))._unsafeUnwrap();
    }
    expect(status).toBeNull();
    const next = (await bob.lock.acquire("staging", { owner: "bob", ttlMs: 60_000 }))._unsafeUnwrap();
    expect(next.token).toBeGreaterThan(old.token);

    // Alice wakes up and writes as if she still held it: the transaction's compare fails in etcd.
    const refused = (await alice.journal.append("r1", record(1, "alice"), { fence }))._unsafeUnwrapErr();
    expect(refused).toMatchObject({
      reason: "conflict",
      details: { fenced: true, token: old.token, current: next.token },
    });
    expect((await alice.lock.renew(old, 60_000))._unsafeUnwrapErr().reason).toBe("conflict");
    expect(
      (
        await bob.journal.append("r1", record(1, "bob"), { fence: { key: "staging", token: next.token } })
      ).isOk(),
    ).toBe(true);
    const records = (await bob.journal.read("r1"))._unsafeUnwrap();
    expect(records.map((r) => (r.event as { message?: string }).message)).toEqual(["alice", "bob"]);
    await Promise.all([alice.close(), bob.close()]);
    await deletePrefix(prefix);
  });

  it("records who broke a stale lease in the break's own transaction, readable from any client", async () => {
    const prefix = freshPrefix("breaks");
    const alice = createEtcdCoordination({
      endpoints: ENDPOINTS,
      prefix,
      actor: "alice@laptop-a",
    })._unsafeUnwrap();
    const bob = createEtcdCoordination({
      endpoints: ENDPOINTS,
      prefix,
      actor: "bob@laptop-b",
    })._unsafeUnwrap();
    expect((await alice.lock.breaks("staging"))._unsafeUnwrap()).toEqual([]);
    const old = (await alice.lock.acquire("staging", { owner: "alice run r1", ttlMs: 200 }))._unsafeUnwrap();
    await sleep(300);
    expect((await bob.lock.breakStale("staging"))._unsafeUnwrap()).toEqual(old);
    const next = (await bob.lock.acquire("staging", { owner: "bob run r2", ttlMs: 200 }))._unsafeUnwrap();
    await sleep(300);
    expect((await alice.lock.breakStale("staging"))._unsafeUnwrap()).toEqual(next);
    const breaks = (await alice.lock.breaks("staging"))._unsafeUnwrap();
    expect(breaks.map((b) => [b.lease, b.brokenBy])).toEqual([
      [old, "bob@laptop-b"],
      [next, "alice@laptop-a"],
    ]);
    expect(Date.parse(breaks[0]!.brokenAt)).toBeGreaterThanOrEqual(Date.parse(old.expiresAt));
    expect((await bob.lock.breaks("production"))._unsafeUnwrap()).toEqual([]);
    await Promise.all([alice.close(), bob.close()]);
    await deletePrefix(prefix);
  });

  it("refuses bad options with invalid_input naming the field, contacting nothing", () => {
    for (const options of [
      { endpoints: [] },
      { endpoints: ["ftp://127.0.0.1:2379"] },
      { endpoints: ["http://user:pw@127.0.0.1:2379"] },
      { endpoints: ["http://127.0.0.1:2379/v3"] },
      { endpoints: ENDPOINTS, prefix: "backflip" },
      { endpoints: ENDPOINTS, prefix: "/a/../b" },
      { endpoints: ENDPOINTS, requestTimeoutMs: 0 },
      { endpoints: ENDPOINTS, actor: "a\u0007b" },
    ]) {
      const error = createEtcdCoordination(options)._unsafeUnwrapErr();
      expect(error).toMatchObject({ driver: "etcd", op: "create", reason: "invalid_input" });
      expect(error.message).not.toContain("pw");
    }
  });

  it("says unavailable, naming each member tried and what to do, when no member answers", async () => {
    const store = createEtcdCoordination({
      endpoints: ["http://127.0.0.1:18998", "http://127.0.0.1:18999"],
      requestTimeoutMs: 500,
    })._unsafeUnwrap();
    const error = (await store.lock.acquire("staging", { owner: "a", ttlMs: 1_000 }))._unsafeUnwrapErr();
    expect(error).toMatchObject({ driver: "etcd", op: "acquire", reason: "unavailable" });
    expect(error.message).toContain("127.0.0.1:18998");
    expect(error.message).toContain("127.0.0.1:18999");
    expect(error.hint).toMatch(/quorum/);
    await store.close();
  });
});
