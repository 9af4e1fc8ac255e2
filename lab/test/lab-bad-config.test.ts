import type { RollbackPlan } from "@backflip/core";
import { fastFlip, redeploy } from "@backflip/core/recipes";
import { skipUnlessBackend } from "@backflip/core/testing";
import { DEFAULT_HAPROXY_TEMPLATE } from "@backflip/driver-haproxy";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { CANONICAL_RELEASE } from "../src/lab-canonical";
import { type LabDrivers, labTrafficSwitch } from "../src/lab-drivers";
import { LAB_RELEASES } from "../src/lab-releases";
import { resetLab } from "../src/lab-reset";
import { LAB_APP, LAB_HAPROXY, labApps } from "../src/lab-settings";
import { haproxyCheck, publicAnswer } from "./lab-converged";
import { labBackendsUp, planned, runOnLab, scratchDir, upLab } from "./lab-support";

const skip = skipUnlessBackend(
  labBackendsUp,
  "incus + haproxy (the lab)",
  "scripts/backends up incus haproxy",
);
const who = { actor: "lab-faults", reason: "bad config test" };
const decoder = new TextDecoder();

/** The driver's template with a default backend that does not exist: `haproxy -c` rejects it. */
const BROKEN_TEMPLATE = DEFAULT_HAPROXY_TEMPLATE.replace(
  "default_backend {{defaultComponent.activeBackend}}",
  "default_backend {{defaultComponent.activeBackend}}_missing",
);

describe.skipIf(skip)(
  "a config that fails haproxy -c mid-run leaves the live config and the traffic untouched",
  { timeout: 120_000 },
  () => {
    let d: LabDrivers;
    let broken: LabDrivers;
    const dir = scratchDir();
    const { container, configPath } = LAB_HAPROXY;

    beforeAll(async () => {
      d = await upLab();
      const traffic = labTrafficSwitch(d.host, d.topology, { template: BROKEN_TEMPLATE })._unsafeUnwrap();
      broken = { ...d, traffic };
    }, 300_000);

    beforeEach(async () => {
      (await resetLab(d))._unsafeUnwrap();
    });

    afterAll(async () => {
      if (!d) return;
      (await resetLab(d))._unsafeUnwrap();
      await d.host.close();
    });

    const liveConfig = async () => (await d.host.pullFile(container, configPath))._unsafeUnwrap();
    const release = async (name: string) =>
      decoder.decode((await d.host.pullFile(name, LAB_APP.releaseFile))._unsafeUnwrap()).trim();

    /** Public requests in a loop while `work` runs: how many, and the answers that were not blue and healthy. */
    async function underTraffic(work: () => Promise<void>) {
      let stop = false;
      const bad: string[] = [];
      let requests = 0;
      const load = (async () => {
        while (!stop) {
          const a = await publicAnswer(d);
          requests++;
          if (a?.status !== "ok" || a.color !== "blue") bad.push(JSON.stringify(a));
        }
      })();
      try {
        await work();
      } finally {
        stop = true;
        await load;
      }
      return { requests, bad };
    }

    async function expectRefusedAtValidation(plan: RollbackPlan) {
      const before = {
        config: await liveConfig(),
        revision: (await d.traffic.liveRevision())._unsafeUnwrap(),
      };
      const state = (await d.traffic.readState())._unsafeUnwrap();
      expect(await publicAnswer(d)).toMatchObject({
        status: "ok",
        color: "blue",
        sha: CANONICAL_RELEASE.blue,
      });

      let run: Awaited<ReturnType<typeof runOnLab>> | undefined;
      const traffic = await underTraffic(async () => {
        run = await runOnLab(broken, dir, plan, { whyFailed: "the rendered config fails haproxy -c" });
      });

      const error = run?.result._unsafeUnwrapErr();
      expect(error?.kind).toBe("refused");
      const failed = error?.report?.steps.find((s) => s.outcome === "failed");
      expect(failed?.id).toBe("render-validate");
      expect(error?.report?.steps.filter((s) => s.outcome === "succeeded" && s.kind === "change")).toEqual(
        [],
      );
      expect(Buffer.from(await liveConfig()).equals(Buffer.from(before.config))).toBe(true);
      expect((await d.traffic.liveRevision())._unsafeUnwrap()).toBe(before.revision);
      expect((await haproxyCheck(d)).exitCode).toBe(0);
      expect((await d.traffic.readState())._unsafeUnwrap()).toEqual(state);
      expect(traffic.requests).toBeGreaterThan(0);
      expect(traffic.bad).toEqual([]);
      expect(await publicAnswer(d)).toMatchObject({
        status: "ok",
        color: "blue",
        sha: CANONICAL_RELEASE.blue,
      });
    }

    it("Path 1: refused at render-validate, nothing installed, no request failed", async () => {
      await expectRefusedAtValidation(await planned(fastFlip(d.topology, broken, who)));
    });

    it("Path 2: refused at render-validate before staging anything into the idle color", async () => {
      const plan = await planned(redeploy(d.topology, broken, { ...who, sha: LAB_RELEASES.old }));
      await expectRefusedAtValidation(plan);
      for (const app of labApps(d.topology).filter((a) => a.color === "green")) {
        expect(await release(app.name)).toBe(CANONICAL_RELEASE.green);
      }
    });
  },
);
