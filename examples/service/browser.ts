import { existsSync } from "node:fs";
import { backendEnv } from "@backflip/core/testing/fakes";
import { type Browser, chromium, type Page } from "playwright-core";

/** Debian's Chromium as `scripts/backends up chromium` recorded it, or `null` when it is not there. */
export function chromiumPath(): string | null {
  const bin = backendEnv("chromium")?.CHROMIUM_BIN;
  return bin && existsSync(bin) ? bin : null;
}

/** Launches the system's headless Chromium (no sandbox as root, where Chromium refuses it). */
export function launchChromium(executablePath: string): Promise<Browser> {
  const root = process.getuid?.() === 0;
  return chromium.launch({ executablePath, headless: true, args: root ? ["--no-sandbox"] : [] });
}

/** Posts Alertmanager's webhook body to a running service: the status and the offer page's URL. */
export async function postWebhook(url: string, body: unknown): Promise<{ status: number; offerUrl: string }> {
  const res = await fetch(`${url}/alerts`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: res.status, offerUrl: `${url}${res.headers.get("location")}` };
}

/**
 * Records, per step id, every `data-status` the page gives the step's item, in `window.seen`
 * (browser code, so as text: the tests have no DOM types).
 */
const STATUS_RECORDER = `
  window.seen = {};
  new MutationObserver((changes) => {
    for (const c of changes) {
      const id = c.target.dataset.stepId;
      window.seen[id] = [...(window.seen[id] ?? []), c.target.dataset.status];
    }
  }).observe(document.getElementById("steps"), { subtree: true, attributes: true, attributeFilter: ["data-status"] });
`;

/** What a person saw on an offer page, from the plan to the past runs. */
export interface SeenOnPage {
  /** The decision's line, e.g. `rollback — Path 1 (fast-flip) to blue at 98795271894d`. */
  readonly decision: string;
  readonly stepIds: readonly string[];
  /** How many steps were `pending` before approving. */
  readonly pendingBefore: number;
  /** Each step's dry-run lines as shown. */
  readonly dryRun: Readonly<Record<string, string>>;
  /** Every status each step showed after approving, in order. */
  readonly statuses: Readonly<Record<string, readonly string[]>>;
  readonly succeededAfter: number;
  readonly outcome: string;
  readonly approvedBy: string;
  readonly runState: string;
  readonly approveHidden: boolean;
  readonly runId: string;
  /** The run's row in the past runs, cell by cell (empty when it is not listed). */
  readonly pastRow: readonly string[];
}

/** Opens an offer page, reads the plan, approves it as `approver` and follows the run to its outcome and the past runs. */
export async function approveOnPage(page: Page, offerUrl: string, approver: string): Promise<SeenOnPage> {
  await page.goto(offerUrl);
  const decision = (await page.textContent("#decision-what")) ?? "";
  const steps = page.locator("#steps > li");
  const stepIds = await steps.evaluateAll((lis) => lis.map((li) => li.getAttribute("data-step-id") ?? ""));
  const pendingBefore = await page.locator('#steps > li[data-status="pending"]').count();
  const dryRun: Record<string, string> = {};
  for (const id of stepIds)
    dryRun[id] = (await page.locator(`#steps > li[data-step-id="${id}"] pre`).textContent()) ?? "";
  await page.evaluate(STATUS_RECORDER);

  await page.fill("#approver", approver);
  await page.click("#approve-form button");
  await page.waitForSelector("#outcome[data-state]", { timeout: 120_000 });
  const runId = (await page.getAttribute("#run", "data-run-id")) ?? "";
  const row = page.locator(`#past-runs tr[data-run-id="${runId}"]`);
  await row.waitFor({ timeout: 10_000 });
  return {
    decision,
    stepIds,
    pendingBefore,
    dryRun,
    statuses: (await page.evaluate("window.seen")) as Record<string, string[]>,
    succeededAfter: await page.locator('#steps > li[data-status="succeeded"]').count(),
    outcome: (await page.textContent("#outcome")) ?? "",
    approvedBy: (await page.textContent("#approved-by")) ?? "",
    runState: (await page.textContent("#run-state")) ?? "",
    approveHidden: await page.isHidden("#approve"),
    runId,
    pastRow: await row.locator("td").allTextContents(),
  };
}
