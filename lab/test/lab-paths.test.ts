import { cleanupColor, decide, fastFlip, HINTS, observe, redeploy } from "@backflip/core/recipes";
import { skipUnlessBackend } from "@backflip/core/testing";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { CANONICAL_RELEASE, canonicalTrafficState } from "../src/lab-canonical";
import type { LabDrivers } from "../src/lab-drivers";
import { LAB_RELEASES } from "../src/lab-releases";
import { resetLab } from "../src/lab-reset";
import { LAB_APP, labApps } from "../src/lab-settings";
import { ensureLabContainers, labBackendsUp, planned, runOnLab, scratchDir, upLab } from "./lab-support";

const skip = skipUnlessBackend(
  labBackendsUp,
  "incus + haproxy (the lab)",
  "scripts/backends up incus haproxy",
);
const who = { actor: "lab-e2e", reason: "end-to-end test on the lab" };
const decoder = new TextDecoder();

describe.skipIf(skip)(
  "the runbook's paths on the lab (real Incus, HAProxy, fake Forgejo)",
  { timeout: 180_000 },
  () => {
    let d: LabDrivers;
    const dir = scratchDir();
    const t = () => d.topology;

    /** What the public URL answers right now (one attempt). */
    const publicAnswer = async () => {
      const r = await d.probe.check({ url: t().publicHealthUrl, attempts: 1 });
      return r.isOk() ? (JSON.parse(r.value.body) as { color: string; sha: string; status: string }) : null;
    };
    const release = async (container: string) =>
      decoder.decode((await d.host.pullFile(container, LAB_APP.releaseFile))._unsafeUnwrap()).trim();
    const state = async () => (await d.traffic.readState())._unsafeUnwrap();
    /** Path 2 of the release whose health answers 503, with a short public probe: it must revert. */
    const redeployBroken = async () => {
      const plan = await planned(
        redeploy(t(), d, {
          ...who,
          sha: LAB_RELEASES.broken,
          probe: { attempts: 4, deadlineMs: 8_000, intervalMs: 500 },
        }),
      );
      return runOnLab(d, dir, plan, { whyFailed: "the release answers 503 on /api/v1/health" });
    };

    beforeAll(async () => {
      d = await upLab();
    }, 300_000);

    beforeEach(async () => {
      await ensureLabContainers(d);
      const reset = await resetLab(d);
      if (reset.isErr()) throw new Error(`lab reset failed: ${reset.error.message}`);
    });

    afterAll(async () => {
      if (!d) return;
      await ensureLabContainers(d);
      (await resetLab(d))._unsafeUnwrap();
      await d.host.close();
    });

    it("Path 1: fast flip sends public traffic to the prior color and records it", async () => {
      expect(await publicAnswer()).toMatchObject({ color: "blue", sha: CANONICAL_RELEASE.blue });
      const plan = await planned(fastFlip(t(), d, who));
      expect(plan.intent).toMatchObject({
        path: "fast-flip",
        from: "blue",
        to: "green",
        sha: LAB_RELEASES.prior,
      });

      const run = await runOnLab(d, dir, plan);
      const report = run.result._unsafeUnwrap();
      expect(report.state).toBe("succeeded");
      expect(await publicAnswer()).toMatchObject({ color: "green", sha: LAB_RELEASES.prior, status: "ok" });
      const after = await state();
      expect(after.activeColor).toBe("green");
      expect(after.history[0]).toMatchObject({
        color: "green",
        sha: LAB_RELEASES.prior,
        runId: report.runId,
        actor: "lab-e2e",
      });
      expect(after.history.slice(1)).toEqual(
        canonicalTrafficState().history.map((h) => ({ ...h, at: expect.any(String) })),
      );
      expect((await d.traffic.liveRevision())._unsafeUnwrap()).toMatch(/^green:/);
      expect(run.postmortem).toContain("Path 1");
      expect(run.postmortem).toContain(report.runId);
    });

    it("Path 1 is refused when a target container is stopped, with the hint to use Path 2", async () => {
      (await d.host.stop("veza-lab-stream-green", { force: true }))._unsafeUnwrap();
      const before = await state();
      const plan = await planned(fastFlip(t(), d, who));
      const run = await runOnLab(d, dir, plan, { whyFailed: "green's stream container is down" });

      expect(run.result.isErr()).toBe(true);
      const error = run.result._unsafeUnwrapErr();
      expect(error.kind).toBe("refused");
      const failed = error.report?.steps.find((s) => s.outcome === "failed");
      expect(failed?.id).toBe("precheck-containers");
      expect(failed?.error?.message).toContain("veza-lab-stream-green");
      expect(failed?.error?.hint).toBe(HINTS.usePath2);
      expect(await state()).toEqual(before);
      expect(await publicAnswer()).toMatchObject({ color: "blue", sha: CANONICAL_RELEASE.blue });
      expect(run.postmortem).toContain("refused");
    });

    it("Path 2: redeploys an older SHA into the idle color, flips and passes the public probe", async () => {
      // The restarted containers' servers need a moment: probe patiently (no local health URL in the lab).
      const probe = { attempts: 30, deadlineMs: 30_000, intervalMs: 500 };
      const plan = await planned(redeploy(t(), d, { ...who, sha: LAB_RELEASES.old, probe }));
      expect(plan.intent).toMatchObject({
        path: "redeploy",
        from: "blue",
        to: "green",
        sha: LAB_RELEASES.old,
      });

      const run = await runOnLab(d, dir, plan);
      const report = run.result._unsafeUnwrap();
      expect(report.state).toBe("succeeded");
      for (const app of labApps(t()).filter((a) => a.color === "green")) {
        expect(await release(app.name)).toBe(LAB_RELEASES.old);
      }
      expect(await publicAnswer()).toMatchObject({ color: "green", sha: LAB_RELEASES.old, status: "ok" });
      const after = await state();
      expect(after.activeColor).toBe("green");
      expect(after.history[0]).toMatchObject({ color: "green", sha: LAB_RELEASES.old, runId: report.runId });
      expect(run.postmortem).toContain("Path 2");
    });

    it("Path 2 reverts automatically when the public probe fails after the flip", async () => {
      const before = await state();
      const run = await redeployBroken();

      const error = run.result._unsafeUnwrapErr();
      expect(error.kind).toBe("reverted");
      const steps = error.report?.steps ?? [];
      expect(steps.find((s) => s.id === "public-probe")?.outcome).toBe("failed");
      expect(steps.find((s) => s.id === "activate")?.outcome).toBe("undone");
      expect(steps.find((s) => s.id === "stage-artifacts")?.outcome).toBe("undone");
      expect(await state()).toEqual(before);
      expect((await d.traffic.liveRevision())._unsafeUnwrap()).toMatch(/^blue:/);
      expect(await publicAnswer()).toMatchObject({
        color: "blue",
        sha: CANONICAL_RELEASE.blue,
        status: "ok",
      });
      for (const app of labApps(t()).filter((a) => a.color === "green")) {
        expect(await release(app.name)).toBe(CANONICAL_RELEASE.green);
      }
      expect(run.postmortem).toContain("reverted");
    });

    it("Path 2 into an idle color stopped before the run: reverts and leaves it stopped as it was", async () => {
      const green = labApps(t()).filter((a) => a.color === "green");
      for (const app of green) (await d.host.stop(app.name, { force: true }))._unsafeUnwrap();
      const before = await state();
      const run = await redeployBroken();

      const error = run.result._unsafeUnwrapErr();
      expect(error.kind).toBe("reverted");
      expect(error.report?.steps.find((s) => s.id === "stage-artifacts")?.outcome).toBe("undone");
      expect(await state()).toEqual(before);
      expect(await publicAnswer()).toMatchObject({
        color: "blue",
        sha: CANONICAL_RELEASE.blue,
        status: "ok",
      });
      for (const app of green) {
        expect((await d.host.state(app.name))._unsafeUnwrap().running).toBe(false);
        // The release file was written back while the container was stopped.
        expect(await release(app.name)).toBe(CANONICAL_RELEASE.green);
      }
    });

    it("cleans up the failed color, and refuses to clean up the live one", async () => {
      const live = await cleanupColor(t(), d, { ...who, color: "blue" });
      expect(live.isErr()).toBe(true);
      expect(live._unsafeUnwrapErr().hint).toBe(HINTS.neverCleanLive);

      const plan = await planned(cleanupColor(t(), d, { ...who, color: "green" }));
      const run = await runOnLab(d, dir, plan);
      expect(run.result._unsafeUnwrap().state).toBe("succeeded");
      const left = (await d.host.list({ pattern: "veza-lab-*-green" }))._unsafeUnwrap();
      expect(left).toEqual([]);
      expect(
        (await d.host.list({ pattern: "veza-lab-*-blue" }))._unsafeUnwrap().every((i) => i.running),
      ).toBe(true);
      expect(await publicAnswer()).toMatchObject({ color: "blue", status: "ok" });
      expect(run.postmortem).toContain("Cleanup");
    });

    it("decide() on observed lab states picks the runbook's branch, and the decided Path 1 runs", async () => {
      const paged = { symptom: "public-probe-failing", onCall: true, paged: true } as const;
      const facts = (await observe(t(), d))._unsafeUnwrap();
      expect(facts.activeColor).toBe("blue");
      expect(facts.publicHealth?.healthy).toBe(true);

      expect(decide(facts, { ...paged, badSha: LAB_RELEASES.broken })._unsafeUnwrap()).toMatchObject({
        action: "none",
        rule: "never-came-up",
      });
      expect(decide(facts, { ...paged, targetSha: LAB_RELEASES.old })._unsafeUnwrap()).toMatchObject({
        path: 2,
        recipe: "redeploy",
        target: { sha: LAB_RELEASES.old },
      });
      const decision = decide(facts, paged)._unsafeUnwrap();
      expect(decision).toMatchObject({
        action: "rollback",
        path: 1,
        recipe: "fast-flip",
        target: { color: "green" },
      });

      (await d.host.stop("veza-lab-web-green", { force: true }))._unsafeUnwrap();
      const degraded = (await observe(t(), d))._unsafeUnwrap();
      expect(decide(degraded, paged)._unsafeUnwrap()).toMatchObject({
        path: 2,
        recipe: "redeploy",
        target: { sha: LAB_RELEASES.prior },
      });
      (await d.host.start("veza-lab-web-green"))._unsafeUnwrap();

      const plan = await planned(fastFlip(t(), d, { ...who, target: decision.target?.color ?? "green" }));
      const run = await runOnLab(d, dir, plan, { decision });
      expect(run.result._unsafeUnwrap().state).toBe("succeeded");
      expect(await publicAnswer()).toMatchObject({ color: "green" });
      expect(run.postmortem).toContain(decision.reason);
    });
  },
);
