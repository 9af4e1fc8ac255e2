import { join } from "node:path";
import { skipUnlessBackend } from "@backflip/core/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LabDrivers } from "../src/lab-drivers";
import { resetLab } from "../src/lab-reset";
import { type ChildExit, LabChild } from "./lab-child";
import { expectConverged, lockAhead, resumeOnLab } from "./lab-converged";
import { labBackendsUp, scratchDir, upLab } from "./lab-support";

const skip = skipUnlessBackend(
  labBackendsUp,
  "incus + haproxy (the lab)",
  "scripts/backends up incus haproxy",
);

/** The child's lease time-to-live; the test's lock clock runs past it, so a killed run's lease reads as expired. */
const CHILD_TTL_MS = 5_000;
/** Records a whole Path 1 run journals on the lab (checked by the first test). */
const PATH1_RECORDS = 23;
/** Records a whole native Path 2 run journals on the lab (checked by the kill at the last record: plan.finished). */
const PATH2_RECORDS = 31;

/** A small seeded PRNG (mulberry32): the random kill points are reproducible from the seed in the test names. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
const SEED = Number(process.env.BACKFLIP_LAB_CRASH_SEED ?? Date.now() % 1_000_000);
const random = prng(SEED);
const delay = (maxMs: number) => Math.floor(random() * maxMs);

/** Path 1: every N; continue on odd N, revert on even N. */
const path1Kills = Array.from({ length: PATH1_RECORDS }, (_, i) => i + 1).map((n) => ({
  n,
  mode: n % 2 === 1 ? ("continue" as const) : ("revert" as const),
}));
/**
 * Path 1: random points inside its three longest steps (typical durations ~60, ~40, ~10
 * ms); a point past a step's end kills the run just after that step's end record.
 */
const path1InStep = [
  { step: "render-validate", ms: delay(80), mode: "continue" as const },
  { step: "render-validate", ms: delay(80), mode: "revert" as const },
  { step: "activate", ms: delay(60), mode: "continue" as const },
  { step: "activate", ms: delay(60), mode: "revert" as const },
  { step: "record", ms: delay(15), mode: "continue" as const },
  { step: "record", ms: delay(15), mode: "revert" as const },
];
/** Path 2 (~13 s a run): every N too; revert on odd N, continue on even N (the other way round from Path 1). */
const path2Kills = Array.from({ length: PATH2_RECORDS }, (_, i) => i + 1).map((n) => ({
  n,
  mode: n % 2 === 1 ? ("revert" as const) : ("continue" as const),
}));
/** Path 2: random points inside its two long changes. */
const path2InStep = [
  { step: "stage-artifacts", ms: delay(400), mode: "continue" as const },
  { step: "start-and-check", ms: delay(10_000), mode: "revert" as const },
];

describe.skipIf(skip)(
  `crash anywhere on the lab: SIGKILL a child run, then resume or revert converges (seed ${SEED})`,
  { timeout: 120_000 },
  () => {
    let d: LabDrivers;
    const dir = scratchDir();
    const locks = join(dir, "locks");
    let serial = 0;
    const runId = (label: string) => `crash-${label}-${SEED}-${++serial}`;
    const lock = () => lockAhead(locks, CHILD_TTL_MS + 1_000);

    beforeAll(async () => {
      d = await upLab();
      (await resetLab(d))._unsafeUnwrap();
    }, 300_000);

    afterAll(async () => {
      if (!d) return;
      (await resetLab(d))._unsafeUnwrap();
      await d.host.close();
    });

    /** After a kill: the killed run's lease names it; resume (or revert) it, then the lab must have converged. */
    async function recover(id: string, exit: ChildExit, mode: "continue" | "revert") {
      expect(exit.signal, exit.stderr).toBe("SIGKILL");
      const l = lock();
      const held = (await l.inspect(d.topology.env))._unsafeUnwrap();
      if (held) {
        expect(held.lease.owner).toContain(id);
        expect(held.stale).toBe(true);
      }
      const resumed = await resumeOnLab(d, dir, id, mode, l);
      const outcome = resumed.isOk() ? resumed.value.state : resumed.error.kind;
      expect(["succeeded", "reverted", "aborted"], resumed.isErr() ? resumed.error.message : "").toContain(
        outcome,
      );
      // Released, also for a run killed after its last record (resume releases the lease it left).
      expect((await l.inspect(d.topology.env))._unsafeUnwrap()).toBeNull();
      return { outcome, color: await expectConverged(d, l) };
    }

    it(`Path 1 journals ${PATH1_RECORDS} records when nothing kills it`, async () => {
      const child = new LabChild("fast-flip", dir, runId("p1-whole"), { gate: true, ttlMs: CHILD_TTL_MS });
      const { types, exit } = await child.killAtRecord(Number.POSITIVE_INFINITY);
      expect(exit.code, exit.stderr).toBe(0);
      expect(exit.result?.state).toBe("succeeded");
      expect(types).toHaveLength(PATH1_RECORDS);
      expect(types.at(-1)).toBe("plan.finished");
      await expectConverged(d, lock());
    });

    it.each(path1Kills)(
      "Path 1 killed when the journal reaches record $n, then $mode",
      async ({ n, mode }) => {
        const id = runId(`p1-n${n}`);
        const child = new LabChild("fast-flip", dir, id, { gate: true, ttlMs: CHILD_TTL_MS });
        const { journaled, exit } = await child.killAtRecord(n);
        expect(journaled).toBe(n);
        await recover(id, exit, mode);
      },
    );

    it.each(path1InStep)(
      "Path 1 killed $ms ms into step $step (a random point), then $mode",
      async ({ step, ms, mode }) => {
        const id = runId(`p1-${step}`);
        const child = new LabChild("fast-flip", dir, id, { gate: true, ttlMs: CHILD_TTL_MS });
        const { exit } = await child.killInStep(step, ms);
        await recover(id, exit, mode);
      },
    );

    it.each(path2Kills)(
      "Path 2 killed when the journal reaches record $n, then $mode",
      async ({ n, mode }) => {
        (await resetLab(d))._unsafeUnwrap();
        const id = runId(`p2-n${n}`);
        const child = new LabChild("redeploy", dir, id, { gate: true, ttlMs: CHILD_TTL_MS });
        const { types, journaled, exit } = await child.killAtRecord(n);
        expect(journaled).toBe(n);
        if (n === PATH2_RECORDS) expect(types.at(-1)).toBe("plan.finished");
        await recover(id, exit, mode);
      },
    );

    it.each(path2InStep)(
      "Path 2 killed $ms ms into step $step (a random point), then $mode",
      async ({ step, ms, mode }) => {
        (await resetLab(d))._unsafeUnwrap();
        const id = runId(`p2-${step}`);
        const child = new LabChild("redeploy", dir, id, { gate: true, ttlMs: CHILD_TTL_MS });
        const { exit } = await child.killInStep(step, ms);
        await recover(id, exit, mode);
      },
    );
  },
);
