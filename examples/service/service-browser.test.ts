import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { skipUnlessBackend } from "@backflip/core/testing/fakes";
import type { Fleet } from "@backflip/driver-mock";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deployFailedWebhook } from "./alert-fixture";
import { approveOnPage, chromiumPath, launchChromium, postWebhook } from "./browser";
import { simulatedTarget } from "./simulated-target";
import { type RunningService, startService } from "./start-service";

const bin = chromiumPath();
const skip = skipUnlessBackend(bin !== null, "chromium", "scripts/backends up chromium");

describe.skipIf(skip)("the service in headless Chromium, on a simulated fleet", () => {
  let dir: string;
  let fleet: Fleet;
  let service: RunningService;
  let browser: Browser;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "backflip-service-browser-"));
    const simulated = simulatedTarget(dir);
    fleet = simulated.fleet;
    fleet.world.setColor("green", { healthy: false });
    service = await startService(simulated.target);
    browser = await launchChromium(bin ?? "");
  });
  afterAll(async () => {
    await browser?.close();
    await service?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("refuses a bad approver name on the page, running nothing", async () => {
    const { status, offerUrl } = await postWebhook(
      service.url,
      deployFailedWebhook("staging", { fingerprint: "00000000000000aa" }),
    );
    expect(status).toBe(201);
    const page = await browser.newPage();
    await page.goto(offerUrl);
    await page.fill("#approver", "not a name");
    await page.click("#approve-form button");
    await expect
      .poll(() => page.textContent("#approve-error"))
      .toMatch(/^approver: expected a name like alice/);
    expect(await page.isHidden("#approve")).toBe(false);
    expect(await page.isHidden("#run")).toBe(true);
    expect(fleet.world.traffic().liveColor).toBe("green");
    await page.close();
  });

  it("webhook → plan on the page → approve as alice → steps succeed over SSE → the run in the past runs", async () => {
    const { status, offerUrl } = await postWebhook(service.url, deployFailedWebhook("staging"));
    expect(status).toBe(201);
    const page = await browser.newPage();
    const failures: string[] = [];
    page.on("pageerror", (e) => failures.push(e.message));

    const seen = await approveOnPage(page, offerUrl, "alice");
    // the plan as offered: the decision, every step pending with its dry run
    expect(seen.decision).toMatch(/^rollback — Path 1 \(fast-flip\) to blue at [0-9a-f]{12}$/);
    expect(seen.stepIds).toContain("activate");
    expect(seen.pendingBefore).toBe(seen.stepIds.length);
    expect(seen.dryRun.activate).toMatch(/incus exec veza-staging-haproxy/);
    // each step went running → succeeded as the server-sent events arrived, then the outcome
    for (const id of seen.stepIds) expect(seen.statuses[id]).toEqual(["running", "succeeded"]);
    expect(seen.succeededAfter).toBe(seen.stepIds.length);
    expect(seen).toMatchObject({
      outcome: "succeeded: the run succeeded",
      approvedBy: "approved by alice",
      runState: "succeeded",
      approveHidden: true,
    });
    expect(fleet.world.traffic().liveColor).toBe("blue");
    // the past runs, read back from the journal, list the run
    expect(seen.pastRow).toEqual([
      seen.runId,
      "fast-flip",
      "staging",
      "succeeded",
      "alice",
      expect.any(String),
      expect.stringMatching(/^\d+ ms$/),
    ]);
    if (process.env.BACKFLIP_SERVICE_SCREENSHOT)
      await page.screenshot({ path: process.env.BACKFLIP_SERVICE_SCREENSHOT, fullPage: true });

    // the run's own page replays it from the journal
    await page.goto(`${service.url}/runs/${seen.runId}`);
    await page.waitForSelector("#outcome[data-state]", { timeout: 30_000 });
    expect(await page.textContent("#outcome")).toBe("succeeded: the run succeeded");
    expect(await page.locator('#steps > li[data-status="succeeded"]').count()).toBe(seen.stepIds.length);
    expect(failures).toEqual([]);
  });
});
