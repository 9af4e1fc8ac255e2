import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FileJournal, FileLeaseLock } from "@backflip/core";
import { skipUnlessBackend } from "@backflip/core/testing/fakes";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LabDrivers } from "../../lab/src/lab-drivers";
import { resetLab } from "../../lab/src/lab-reset";
import { LAB_ENV } from "../../lab/src/lab-settings";
import { ensureLabContainers, labBackendsUp, upLab } from "../../lab/test/lab-support";
import { deployFailedWebhook } from "./alert-fixture";
import { approveOnPage, chromiumPath, launchChromium, postWebhook } from "./browser";
import { type RunningService, startService } from "./start-service";

const bin = chromiumPath();
const skip =
  skipUnlessBackend(labBackendsUp, "incus + haproxy (the lab)", "scripts/backends up incus haproxy") ||
  skipUnlessBackend(bin !== null, "chromium", "scripts/backends up chromium");

describe.skipIf(skip)(
  "the service in headless Chromium, on the lab (real Incus and HAProxy)",
  { timeout: 300_000 },
  () => {
    let dir: string;
    let d: LabDrivers;
    let service: RunningService;
    let browser: Browser;

    /** Which color the lab's public URL serves right now. */
    const publicColor = async () => {
      const r = await d.probe.check({ url: d.topology.publicHealthUrl, attempts: 1 });
      return r.isOk() ? (JSON.parse(r.value.body) as { color: string }).color : null;
    };

    beforeAll(async () => {
      d = await upLab();
      (await resetLab(d))._unsafeUnwrap();
      dir = await mkdtemp(join(tmpdir(), "backflip-service-lab-"));
      const lock = new FileLeaseLock({ dir: join(dir, "locks") });
      service = await startService({
        description: "On the lab: real Incus containers veza-lab-*, HAProxy in veza-lab-haproxy.",
        topology: d.topology,
        drivers: d,
        journal: new FileJournal({ dir: join(dir, "journal"), fencedBy: lock }),
        lock,
      });
      browser = await launchChromium(bin ?? "");
    }, 300_000);
    afterAll(async () => {
      await browser?.close();
      await service?.close();
      if (d) {
        await ensureLabContainers(d);
        (await resetLab(d))._unsafeUnwrap();
        await d.host.close();
      }
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    it("webhook → plan on the page → approve as alice → steps succeed over SSE → the lab serves the prior color", async () => {
      expect(await publicColor()).toBe("blue");
      const { status, offerUrl } = await postWebhook(service.url, deployFailedWebhook(LAB_ENV));
      expect(status).toBe(201);
      const page = await browser.newPage();
      const seen = await approveOnPage(page, offerUrl, "alice");

      expect(seen.decision).toMatch(/^rollback — Path 1 \(fast-flip\) to green at [0-9a-f]{12}$/);
      expect(seen.pendingBefore).toBe(seen.stepIds.length);
      expect(seen.dryRun.activate).toMatch(/incus exec veza-lab-haproxy/);
      for (const id of seen.stepIds) expect(seen.statuses[id]).toEqual(["running", "succeeded"]);
      expect(seen).toMatchObject({
        outcome: "succeeded: the run succeeded",
        approvedBy: "approved by alice",
        runState: "succeeded",
      });
      expect(seen.pastRow.slice(0, 5)).toEqual([seen.runId, "fast-flip", LAB_ENV, "succeeded", "alice"]);
      expect(await publicColor()).toBe("green");
      expect((await d.traffic.readState())._unsafeUnwrap().history[0]).toMatchObject({ color: "green" });
    });
  },
);
