import { existsSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { skipUnlessBackend } from "@backflip/core/testing";
import { createIncusCoordination, type IncusCoordination } from "@backflip/driver-incus";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LabDrivers } from "../src/lab-drivers";
import { resetLab } from "../src/lab-reset";
import { type ChildExit, LabChild } from "./lab-child";
import { expectConverged, resumeOnLab } from "./lab-converged";
import { labBackendsUp, scratchDir, upLab } from "./lab-support";

const skip = skipUnlessBackend(
  labBackendsUp,
  "incus + haproxy (the lab)",
  "scripts/backends up incus haproxy",
);

/**
 * The child's lease time-to-live. The lease's expiry is the Incus server's time, which a
 * test cannot run ahead: laptop B waits for it, so it is short.
 */
const CHILD_TTL_MS = 2_000;
/** Records a whole Path 1 run journals on the lab (checked by the first test). */
const PATH1_RECORDS = 23;

/** Path 1: every N; continue on odd N, revert on even N. */
const path1Kills = Array.from({ length: PATH1_RECORDS }, (_, i) => i + 1).map((n) => ({
  n,
  mode: n % 2 === 1 ? ("continue" as const) : ("revert" as const),
}));

/** A record as the gated child names it: `<type>[ <step id>]`. */
function named(event: { type: string; stepId?: string }): string {
  return `${event.type}${event.stepId ? ` ${event.stepId}` : ""}`;
}

describe.skipIf(skip)(
  "crash anywhere from laptop B: SIGKILL laptop A's Path 1 (journal and lease on the Incus anchor), resume or revert from a process with no local files",
  { timeout: 120_000 },
  () => {
    let d: LabDrivers;
    /** Laptop A's working dir: with the Incus store it must stay empty. */
    const dir = scratchDir();
    const prefix = `labteam-${process.pid.toString(36)}`;
    let laptopB: IncusCoordination;
    let serial = 0;
    const runId = (label: string) => `team-${label}-${++serial}`;

    beforeAll(async () => {
      d = await upLab();
      (await resetLab(d))._unsafeUnwrap();
      laptopB = createIncusCoordination({ prefix, actor: "laptop-b" })._unsafeUnwrap();
    }, 300_000);

    afterAll(async () => {
      if (!d) return;
      await laptopB?.close();
      const anchors = await d.host.list({ pattern: `${prefix}-*` });
      for (const anchor of anchors.isOk() ? anchors.value : []) await d.host.delete(anchor.name);
      (await resetLab(d))._unsafeUnwrap();
      await d.host.close();
    });

    /** Laptop B waits (bounded) until the killed run's lease is stale by the server's clock. */
    async function untilStale(id: string): Promise<void> {
      for (let i = 0; i < 150; i++) {
        const held = (await laptopB.lock.inspect(d.topology.env))._unsafeUnwrap();
        if (held === null) return;
        expect(held.lease.owner).toContain(id);
        if (held.stale) return;
        await sleep(100);
      }
      throw new Error(`the lease of ${id} never went stale`);
    }

    /**
     * After a kill: laptop B reads the run from the anchor (a prefix of what A journaled,
     * ending at or after A's last synced record), resumes or reverts it, and the lab converged.
     * A run killed before its first change step left no record (its first ones ride with
     * that step's start): only its lease names it, and laptop B breaks it with nothing to undo.
     */
    async function recover(id: string, exit: ChildExit, types: string[], mode: "continue" | "revert") {
      expect(exit.signal, exit.stderr).toBe("SIGKILL");
      expect(existsSync(`${dir}/journal`) || existsSync(`${dir}/locks`)).toBe(false);
      const before = (await d.traffic.readState())._unsafeUnwrap().activeColor;
      const read = await laptopB.journal.read(id);
      if (read.isErr()) {
        expect(read.error.reason).toBe("not_found");
        await untilStale(id);
        expect((await laptopB.lock.breakStale(d.topology.env))._unsafeUnwrap().owner).toContain(id);
        expect(await expectConverged(d, laptopB.lock)).toBe(before);
        return { outcome: "nothing to resume", color: before };
      }
      const stored = read.value;
      expect(stored.length).toBeGreaterThanOrEqual(1);
      expect(stored.map((r) => named(r.event))).toEqual(types.slice(0, stored.length));
      await untilStale(id);
      const resumed = await resumeOnLab(d, dir, id, mode, laptopB.lock, laptopB.journal);
      const outcome = resumed.isOk() ? resumed.value.state : resumed.error.kind;
      expect(["succeeded", "reverted", "aborted"], resumed.isErr() ? resumed.error.message : "").toContain(
        outcome,
      );
      expect((await laptopB.lock.inspect(d.topology.env))._unsafeUnwrap()).toBeNull();
      return { outcome, color: await expectConverged(d, laptopB.lock) };
    }

    it(`Path 1 journals ${PATH1_RECORDS} records on the anchor when nothing kills it`, async () => {
      const id = runId("whole");
      const child = new LabChild("fast-flip", dir, id, {
        gate: true,
        ttlMs: CHILD_TTL_MS,
        incusPrefix: prefix,
      });
      const { types, exit } = await child.killAtRecord(Number.POSITIVE_INFINITY);
      expect(exit.code, exit.stderr).toBe(0);
      expect(exit.result?.state).toBe("succeeded");
      expect(types).toHaveLength(PATH1_RECORDS);
      const stored = (await laptopB.journal.read(id))._unsafeUnwrap();
      expect(stored.map((r) => named(r.event))).toEqual(types);
      await expectConverged(d, laptopB.lock);
    });

    it.each(path1Kills)(
      "Path 1 on laptop A killed at record $n, then $mode from laptop B",
      async ({ n, mode }) => {
        const id = runId(`n${n}`);
        const child = new LabChild("fast-flip", dir, id, {
          gate: true,
          ttlMs: CHILD_TTL_MS,
          incusPrefix: prefix,
        });
        const { types, exit } = await child.killAtRecord(n);
        expect(types).toHaveLength(n);
        await recover(id, exit, types, mode);
      },
    );

    it("records on the anchor who broke each killed run's lease", async () => {
      const breaks = (await laptopB.lock.breaks(d.topology.env))._unsafeUnwrap();
      expect(breaks.length).toBeGreaterThan(0);
      for (const b of breaks) expect(b.brokenBy).toBe("laptop-b");
    });
  },
);
