import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { skipUnlessBackend } from "@backflip/core/testing/fakes";
import type { Fleet } from "@backflip/driver-mock";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deployFailedWebhook } from "./alert-fixture";
import { chromiumPath, launchChromium } from "./browser";
import { simulatedTarget } from "./simulated-target";
import { type RunningService, startService } from "./start-service";

/** Records, per step id, every `data-status` the page gives its item, in `window.seen`. */
const STATUS_RECORDER = `
  window.seen = {};
  new MutationObserver((changes) => {
    for (const c of changes) {
      const id = c.target.dataset.stepId;
      window.seen[id] = [...(window.seen[id] ?? []), c.target.dataset.status];
    }
  }).observe(document.getElementById("steps"), { subtree: true, attributes: true, attributeFilter: ["data-status"] });
`;

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

  it("webhook → plan on the page → approve as alice → steps succeed over SSE → the run in the past runs", async () => {
    const posted = await fetch(`${service.url}/alerts`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(deployFailedWebhook("staging")),
    });
    expect(posted.status).toBe(201);
    const offerUrl = `${service.url}${posted.headers.get("location")}`;

    const page = await browser.newPage();
    const failures: string[] = [];
    page.on("pageerror", (e) => failures.push(e.message));
    await page.goto(offerUrl);

    // the plan: the decision and every step's dry run, nothing run yet
    expect(await page.textContent("#decision-what")).toMatch(
      /^rollback — Path 1 \(fast-flip\) to blue at [0-9a-f]{12}$/,
    );
    const steps = page.locator("#steps > li");
    const ids = await steps.evaluateAll((lis) => lis.map((li) => li.getAttribute("data-step-id") ?? ""));
    expect(ids).toContain("activate");
    expect(await page.locator('#steps > li[data-status="pending"]').count()).toBe(ids.length);
    expect(await page.locator('#steps > li[data-step-id="activate"] pre').textContent()).toMatch(
      /incus exec veza-staging-haproxy/,
    );
    expect(await page.locator("#past-runs").textContent()).toContain("No runs yet.");

    // every status the page shows, in order, per step (browser code, so as text: the tests have no DOM types)
    await page.evaluate(STATUS_RECORDER);

    // a bad name is refused on the page, and nothing runs
    await page.fill("#approver", "not a name");
    await page.click("#approve-form button");
    await expect
      .poll(() => page.textContent("#approve-error"))
      .toMatch(/^approver: expected a name like alice/);
    expect(fleet.world.traffic().liveColor).toBe("green");

    await page.fill("#approver", "alice");
    await page.click("#approve-form button");
    await page.waitForSelector("#outcome[data-state]", { timeout: 30_000 });
    expect(await page.textContent("#outcome")).toBe("succeeded: the run succeeded");
    expect(await page.textContent("#approved-by")).toBe("approved by alice");
    expect(await page.textContent("#run-state")).toBe("succeeded");
    expect(await page.isHidden("#approve")).toBe(true);

    // each step went running → succeeded, as the server-sent events arrived
    expect(await page.locator('#steps > li[data-status="succeeded"]').count()).toBe(ids.length);
    const seen = (await page.evaluate("window.seen")) as Record<string, string[]>;
    for (const id of ids) expect(seen[id]).toEqual(["running", "succeeded"]);
    expect(fleet.world.traffic().liveColor).toBe("blue");

    // the past runs, read back from the journal, now list the run
    const runId = (await page.getAttribute("#run", "data-run-id")) ?? "";
    const row = page.locator(`#past-runs tr[data-run-id="${runId}"]`);
    await row.waitFor({ timeout: 10_000 });
    expect(await row.locator("td").allTextContents()).toEqual([
      runId,
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
    await page.goto(`${service.url}/runs/${runId}`);
    await page.waitForSelector("#outcome[data-state]", { timeout: 30_000 });
    expect(await page.textContent("#outcome")).toBe("succeeded: the run succeeded");
    expect(await page.locator('#steps > li[data-status="succeeded"]').count()).toBe(ids.length);
    expect(failures).toEqual([]);
  });
});
