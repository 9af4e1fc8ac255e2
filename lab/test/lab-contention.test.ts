import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { FileJournal, FileLeaseLock, resumeRun, runPlan } from "@backflip/core";
import { fastFlip, planForIntent } from "@backflip/core/recipes";
import { skipUnlessBackend } from "@backflip/core/testing";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { LabDrivers } from "../src/lab-drivers";
import { resetLab } from "../src/lab-reset";
import { journalEvents, LabChild } from "./lab-child";
import { expectConverged, resumeOnLab } from "./lab-converged";
import { labBackendsUp, planned, scratchDir, upLab } from "./lab-support";

const skip = skipUnlessBackend(
  labBackendsUp,
  "incus + haproxy (the lab)",
  "scripts/backends up incus haproxy",
);

describe.skipIf(skip)(
  "contention on the lab: one rollback per environment at a time",
  { timeout: 120_000 },
  () => {
    let d: LabDrivers;
    const dir = scratchDir();
    const locks = join(dir, "locks");
    const lock = () => new FileLeaseLock({ dir: locks });
    let serial = 0;
    const runId = (label: string) => `contention-${label}-${process.pid}-${++serial}`;

    beforeAll(async () => {
      d = await upLab();
    }, 300_000);

    beforeEach(async () => {
      (await resetLab(d))._unsafeUnwrap();
    });

    afterAll(async () => {
      if (!d) return;
      (await resetLab(d))._unsafeUnwrap();
      await d.host.close();
    });

    it("two rollbacks started at once: exactly one runs, the other gets lock_held naming the owner", async () => {
      const ids = [runId("a"), runId("b")];
      const children = ids.map(
        (id, i) =>
          new LabChild("fast-flip", dir, id, { gate: true, owner: `on-call-${i === 0 ? "a" : "b"}` }),
      );
      // Each child stops at its first journaled record; the one that lost the lease journals nothing and ends.
      const first = await Promise.all(children.map((c) => c.nextRecord()));
      expect(first.filter((t) => t === "plan.started")).toHaveLength(1);
      expect(first.filter((t) => t === null)).toHaveLength(1);
      const w = first.indexOf("plan.started");
      const [winner, loser] = [children[w]!, children[1 - w]!];

      const lost = await loser.exited();
      expect(lost.code, lost.stderr).toBe(1);
      expect(lost.result).toMatchObject({ runId: loser.runId, kind: "lock_held", stale: false });
      expect(lost.result?.owner).toBe(`on-call-${w === 0 ? "a" : "b"} run ${winner.runId}`);
      expect(journalEvents(loser.journalFile)).toEqual([]);
      const held = (await lock().inspect("lab"))._unsafeUnwrap();
      expect(held?.lease.owner).toBe(lost.result?.owner);

      winner.go();
      const { exit } = await winner.killAtRecord(Number.POSITIVE_INFINITY);
      expect(exit.result).toMatchObject({ runId: winner.runId, state: "succeeded" });
      const state = (await d.traffic.readState())._unsafeUnwrap();
      expect(state.history[0]?.runId).toBe(winner.runId);
      expect(state.history.some((h) => h.runId === loser.runId)).toBe(false);
      expect(await expectConverged(d, lock())).toBe("green");
    });

    it("a lock left by a killed run is reported as stale with its owner, and broken only on request", async () => {
      const ttlMs = 3_000;
      const killed = runId("killed");
      const child = new LabChild("fast-flip", dir, killed, { gate: true, ttlMs, owner: "on-call-killed" });
      // Killed after activate (HAProxy on green), before record: a half-done environment.
      const { journaled, exit } = await child.killAtRecord(14);
      expect(journaled).toBe(14);
      expect(exit.signal).toBe("SIGKILL");
      const owner = `on-call-killed run ${killed}`;

      // While its lease is live, another rollback is refused: held, not stale.
      const other = await planned(
        fastFlip(d.topology, d, { actor: "lab-faults", reason: "contention test" }),
      );
      const refused = await runPlan(other, {
        journal: new FileJournal({ dir: join(dir, "journal") }),
        lock: lock(),
        owner: "on-call-other",
      });
      expect(refused.isErr()).toBe(true);
      expect(refused._unsafeUnwrapErr()).toMatchObject({ kind: "lock_held", owner, stale: false });

      // Once it expired: reported as stale, with its owner, by a second rollback (a child process) and by inspect.
      const expires = Date.parse((await lock().inspect("lab"))._unsafeUnwrap()?.lease.expiresAt ?? "");
      await sleep(Math.max(0, expires - Date.now()) + 200);
      const second = new LabChild("fast-flip", dir, runId("second"), { owner: "on-call-second" });
      const late = await second.exited();
      expect(late.code, late.stderr).toBe(1);
      expect(late.result).toMatchObject({ kind: "lock_held", owner, stale: true });
      const status = (await lock().inspect("lab"))._unsafeUnwrap();
      expect(status).toMatchObject({ stale: true, lease: { owner } });

      // Resuming without the request leaves it alone; with breakStaleLock the run is reverted.
      const journal = new FileJournal({ dir: join(dir, "journal") });
      const untouched = await resumeRun(killed, {
        journal,
        lock: lock(),
        owner: "on-call-resume",
        mode: "revert",
        rebuild: (intent) => planForIntent(d.topology, d, intent),
      });
      expect(untouched._unsafeUnwrapErr()).toMatchObject({ kind: "lock_held", owner, stale: true });
      expect((await lock().inspect("lab"))._unsafeUnwrap()?.lease.owner).toBe(owner);

      const reverted = await resumeOnLab(d, dir, killed, "revert", lock());
      expect(reverted._unsafeUnwrapErr().kind).toBe("reverted");
      expect(await expectConverged(d, lock())).toBe("blue");
    });
  },
);
