import { type RunError, type RunEvent, runPlan } from "@backflip/core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createEtcdCoordination, type EtcdCoordination } from "../src/index";
import { etcdEnv, freshPrefix, skipEtcd } from "./support/etcd-backend";
import { EtcdCluster } from "./support/etcd-cluster";
import { HOLD_STEP, holdingFlip } from "./support/holding-flip";

/** The test cluster's ports: 18921-18923 (clients) and 18932-18934 (peers), inside etcd.sh's 18900-18999. */
const BASE = 18920;

/**
 * Runs a holding flip against `store`, calling `fault` once the hold step starts (the
 * run holds the lease and has journaled its start).
 */
async function flipThrough(store: EtcdCoordination, fault: () => Promise<void>, holdMs = 3_000) {
  const { fleet, plan } = await holdingFlip("chaos", holdMs);
  let injected: Promise<void> = Promise.resolve();
  const onEvent = (event: RunEvent) => {
    if (event.type === "step.started" && event.stepId === HOLD_STEP) injected = fault();
  };
  const result = await runPlan(plan, { journal: store.journal, lock: store.lock, lockTtlMs: 6_000, onEvent });
  await injected;
  return { fleet, result };
}

describe.skipIf(skipEtcd)("etcd faults mid-run (a 3-member cluster of the test's own)", () => {
  let cluster: EtcdCluster;
  let store: EtcdCoordination;
  let prefix: string;

  beforeAll(async () => {
    cluster = await EtcdCluster.start(etcdEnv?.ETCD_BIN ?? "/usr/bin/etcd", BASE);
  });

  /**
   * Each test its own prefix (a run stopped by lost quorum leaves its lease behind), and a
   * client that talks to the leader first, so the fault hits the member it is using.
   */
  async function openOnLeader(): Promise<number> {
    const leader = await cluster.leader();
    prefix = freshPrefix("chaos");
    const endpoints = [0, 1, 2].map((i) => cluster.endpoints[(leader + i) % 3]!);
    store = createEtcdCoordination({ endpoints, prefix, requestTimeoutMs: 1_000 })._unsafeUnwrap();
    return leader;
  }

  afterEach(() => store.close());

  afterAll(async () => {
    await cluster?.destroy();
  });

  it("goes on when the leader is killed mid-run, and the killed member catches up when it returns", async () => {
    const leader = await openOnLeader();
    try {
      const { fleet, result } = await flipThrough(store, () => cluster.kill(leader));
      const report = result._unsafeUnwrap();
      expect(report.state).toBe("succeeded");
      expect(fleet.world.traffic().liveColor).toBe("blue");
      const records = (await store.journal.read(report.runId))._unsafeUnwrap();
      expect(records.at(-1)?.event.type).toBe("plan.finished");
      expect((await store.lock.inspect("staging"))._unsafeUnwrap()).toBeNull();
    } finally {
      cluster.start(leader);
      await cluster.waitHealthy();
    }
  });

  it("stops at the next safe point when quorum is lost mid-run, saying what to do; nothing is flipped", async () => {
    const leader = await openOnLeader();
    const others = [0, 1, 2].filter((i) => i !== leader);
    let error: RunError;
    let live: string | null | undefined;
    try {
      const { fleet, result } = await flipThrough(store, async () => {
        await Promise.all(others.map((i) => cluster.kill(i)));
      });
      error = result._unsafeUnwrapErr();
      live = fleet.world.traffic().liveColor;
    } finally {
      for (const i of others) cluster.start(i);
      await cluster.waitHealthy();
    }
    expect(["lock_held", "journal_failed"]).toContain(error.kind);
    expect(live).toBe("green");
    const said = `${error.message} ${error.hint ?? ""} ${error.cause?.hint ?? ""}`;
    expect(said).toMatch(/no etcd member answered/);
    expect(said).toMatch(/quorum/);
    expect(said).toMatch(/resume|revert/);
    // With quorum back, the run is in the shared journal, unfinished: resume or revert it.
    const records = (await store.journal.read(error.runId!))._unsafeUnwrap();
    expect(records.some((r) => r.event.type === "plan.finished")).toBe(false);
  });

  it("goes on when the leader is cut off (frozen) mid-run; healed, it serves the run's records", async () => {
    const leader = await openOnLeader();
    let runId: string;
    try {
      const { fleet, result } = await flipThrough(store, async () => cluster.freeze(leader));
      expect(result.isOk(), JSON.stringify(result.isErr() && result.error)).toBe(true);
      const report = result._unsafeUnwrap();
      expect(report.state).toBe("succeeded");
      expect(fleet.world.traffic().liveColor).toBe("blue");
      runId = report.runId;
    } finally {
      cluster.thaw(leader);
      await cluster.waitHealthy();
    }
    // Ask the healed member alone: it caught up on everything written while it was cut off.
    const healed = createEtcdCoordination({
      endpoints: [cluster.endpoints[leader]!],
      prefix,
    })._unsafeUnwrap();
    const records = (await healed.journal.read(runId))._unsafeUnwrap();
    expect(records.at(-1)?.event.type).toBe("plan.finished");
    await healed.close();
  });
});
