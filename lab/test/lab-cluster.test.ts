import { decide, fastFlip, observe, redeploy } from "@backflip/core/recipes";
import { skipUnlessBackend } from "@backflip/core/testing";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  clusterAvailable,
  restartMembers,
  stopMember,
} from "../../packages/driver-incus/test/incus-cluster-lab";
import { IncusInstances } from "../src/incus-instances";
import { CANONICAL_RELEASE } from "../src/lab-canonical";
import type { LabDrivers } from "../src/lab-drivers";
import { LAB_RELEASES } from "../src/lab-releases";
import { resetLab } from "../src/lab-reset";
import { LAB_HAPROXY, labApps } from "../src/lab-settings";
import { LAB_SITE, labIncusOptions } from "../src/lab-site";
import { appDevices, LAB_IMAGE } from "../src/lab-up";
import { publicAnswer } from "./lab-converged";
import { ensureLabContainers, labBackendsUp, planned, runOnLab, scratchDir, upLab } from "./lab-support";

const skip = skipUnlessBackend(
  LAB_SITE.name === "cluster" && labBackendsUp && (await clusterAvailable()),
  "the clustered lab (incus-cluster + haproxy, BACKFLIP_LAB_SITE=cluster)",
  "scripts/backends up incus-cluster haproxy && pnpm lab up --cluster",
);
const who = { actor: "lab-cluster-e2e", reason: "a cluster member is down" };
const paged = { symptom: "public-probe-failing", onCall: true, paged: true } as const;

describe.skipIf(skip)(
  "the lab on the 3-member Incus cluster: colors on their own members, one member down",
  { timeout: 300_000 },
  () => {
    let d: LabDrivers;
    const dir = scratchDir();
    const t = () => d.topology;
    const state = async () => (await d.traffic.readState())._unsafeUnwrap();
    const facts = async () => (await observe(t(), d))._unsafeUnwrap();

    beforeAll(async () => {
      d = await upLab();
    }, 300_000);

    beforeEach(async () => {
      await ensureLabContainers(d);
      (await resetLab(d))._unsafeUnwrap();
    }, 300_000);

    afterAll(async () => {
      if (!d) return;
      await restartMembers();
      await ensureLabContainers(d);
      (await resetLab(d))._unsafeUnwrap();
      await d.host.close();
    }, 300_000);

    it("places blue on m2, green on m3 and the edge on m1, and observe names each container's member", async () => {
      const observed = await facts();
      for (const color of ["blue", "green"] as const) {
        const containers = observed.colors[color]?.containers ?? [];
        expect(containers.map((c) => c.name).sort()).toEqual(
          labApps(t())
            .filter((a) => a.color === color)
            .map((a) => a.name)
            .sort(),
        );
        for (const c of containers)
          expect(c).toMatchObject({ running: true, location: LAB_SITE.colorMembers[color] });
      }
      expect((await d.host.state(LAB_HAPROXY.container))._unsafeUnwrap()).toMatchObject({
        running: true,
        location: "m1",
      });
      expect(decide(observed, paged)._unsafeUnwrap()).toMatchObject({ path: 1, target: { color: "green" } });

      // `lab up` does not move an instance: one found on another member than its color's is a conflict.
      const instances = new IncusInstances(labIncusOptions()._unsafeUnwrap().socketPath);
      const [blueWeb] = labApps(t()).filter((a) => a.color === "blue" && a.component === "web");
      const moved = await instances.ensure(
        { name: blueWeb!.name, devices: appDevices(blueWeb!), target: "m3" },
        LAB_IMAGE,
      );
      (await instances.close())._unsafeUnwrap();
      expect(moved._unsafeUnwrapErr()).toMatchObject({ reason: "conflict" });
      expect(moved._unsafeUnwrapErr().message).toContain("is on cluster member m2, not m3");
    });

    it("the idle color's member down: blue keeps serving, decide, Path 1 and Path 2 say green needs m3 back", async () => {
      await stopMember("m3");
      expect(await publicAnswer(d)).toMatchObject({ color: "blue", sha: CANONICAL_RELEASE.blue });
      const down = await facts();
      for (const c of down.colors.green?.containers ?? [])
        expect(c).toMatchObject({ running: false, status: "Error", location: "m3" });
      expect(down.colors.blue?.allRunning).toBe(true);

      const decision = decide(down, paged)._unsafeUnwrap();
      expect(decision.path).not.toBe(1);
      expect(decision.reason).toContain("cluster member m3 does not answer");
      expect(decision.warnings.join("\n")).toMatch(/bring m3 back, or evacuate it/);

      const before = await state();
      const plan = await planned(fastFlip(t(), d, who));
      const run = await runOnLab(d, dir, plan, { whyFailed: "cluster member m3 is down" });
      const error = run.result._unsafeUnwrapErr();
      expect(error.kind).toBe("refused");
      const failed = error.report?.steps.find((s) => s.outcome === "failed");
      expect(failed?.id).toBe("precheck-containers");
      expect(failed?.error?.message).toMatch(/veza-lab-[a-z]+-green/);
      expect(await state()).toEqual(before);
      expect(await publicAnswer(d)).toMatchObject({ color: "blue", sha: CANONICAL_RELEASE.blue });

      // Path 2 into green cannot replace containers on a member that is down either.
      const redeployPlan = await planned(redeploy(t(), d, { ...who, sha: LAB_RELEASES.old }));
      const redeployed = await runOnLab(d, dir, redeployPlan, { whyFailed: "cluster member m3 is down" });
      const redeployError = redeployed.result._unsafeUnwrapErr();
      expect(redeployError.kind).toBe("reverted");
      const staged = redeployError.report?.steps.find((s) => s.id === "stage-artifacts");
      expect(staged?.outcome).toBe("failed");
      expect(staged?.error?.message).toMatch(/veza-lab-[a-z]+-green is on cluster member m3/);
      expect(redeployError.report?.steps.find((s) => s.id === "activate")?.outcome).toBe("skipped");
      expect(await state()).toEqual(before);
      expect(await publicAnswer(d)).toMatchObject({ color: "blue", sha: CANONICAL_RELEASE.blue });

      // m3 back: the lab converges and Path 1 is possible again.
      await restartMembers();
      await ensureLabContainers(d);
      (await resetLab(d))._unsafeUnwrap();
      const back = await facts();
      expect(back.colors.green?.allRunning).toBe(true);
      expect(decide(back, paged)._unsafeUnwrap()).toMatchObject({ path: 1, target: { color: "green" } });
    });

    it("the live color's member down: decide picks Path 1 to green on m3, and it runs", async () => {
      await stopMember("m2");
      const down = await facts();
      for (const c of down.colors.blue?.containers ?? [])
        expect(c).toMatchObject({ running: false, status: "Error", location: "m2" });
      expect(down.colors.green?.allRunning).toBe(true);

      const decision = decide(down, paged)._unsafeUnwrap();
      expect(decision).toMatchObject({
        action: "rollback",
        path: 1,
        recipe: "fast-flip",
        target: { color: "green", sha: LAB_RELEASES.prior },
      });
      const plan = await planned(fastFlip(t(), d, { ...who, target: "green" }));
      const run = await runOnLab(d, dir, plan, { decision });
      expect(run.result._unsafeUnwrap().state).toBe("succeeded");
      expect(await publicAnswer(d)).toMatchObject({ color: "green", sha: LAB_RELEASES.prior });
      expect((await state()).activeColor).toBe("green");

      // m2 back: the lab converges to blue live, every container RUNNING on its member.
      await restartMembers();
      await ensureLabContainers(d);
      (await resetLab(d))._unsafeUnwrap();
      const back = await facts();
      expect(back.activeColor).toBe("blue");
      expect(back.colors.blue?.containers.every((c) => c.running && c.location === "m2")).toBe(true);
      expect(await publicAnswer(d)).toMatchObject({ color: "blue", sha: CANONICAL_RELEASE.blue });
    });
  },
);
