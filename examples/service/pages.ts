import type { DriverError, RunReport } from "@backflip/core";
import { html, raw } from "hono/html";
import type { Result } from "neverthrow";
import { PAGE_SCRIPT } from "./page-script";
import type { Offer, PastRuns } from "./rollback-desk";

/** Markup as hono's `html` tag makes it (every interpolated string escaped). */
type Markup = ReturnType<typeof html>;

/** One step of a plan as a page lists it: its dry-run lines, then its live status and log. */
interface PageStep {
  readonly id: string;
  readonly title: string;
  readonly kind: string;
  readonly lines: readonly string[];
  readonly status: string;
}

const STYLE = `
body { font: 15px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; padding: 0 1rem; }
pre { background: #f4f4f4; padding: .4rem .6rem; overflow-x: auto; margin: .3rem 0; }
#steps > li { margin: .6rem 0; }
.status { display: inline-block; min-width: 9rem; font-weight: 600; }
[data-status=running] .status { color: #a60; } [data-status=succeeded] .status { color: #070; }
[data-status=failed] .status, [data-status=undo_failed] .status { color: #b00; }
#outcome[data-state=succeeded] { color: #070; font-weight: 600; } #outcome:not([data-state=succeeded]) { color: #b00; }
table { border-collapse: collapse; } td, th { padding: .2rem .6rem; text-align: left; border-bottom: 1px solid #ddd; }
`;

function layout(title: string, description: string, body: Markup): Markup {
  return html`<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>${title}</title><style>${raw(STYLE)}</style></head>
<body>
<header><h1>${title}</h1><p id="target">${description}</p></header>
${body}
<script type="module">${raw(PAGE_SCRIPT)}</script>
</body>
</html>`;
}

function stepsList(steps: readonly PageStep[]): Markup {
  return html`<ol id="steps">${steps.map(
    (s) => html`<li data-step-id="${s.id}" data-status="${s.status}">
<span class="status">${s.status}</span> <span class="title">${s.title}</span> <em>(${s.kind})</em>
${s.lines.length ? html`<pre>${s.lines.join("\n")}</pre>` : ""}<ul class="log"></ul></li>`,
  )}</ol>`;
}

function runSection(runId: string | undefined, approvedBy: string): Markup {
  return html`<section id="run" data-run-id="${runId ?? ""}" ${runId ? "" : raw("hidden")}>
<h2>Run</h2>
<p>run <a id="run-link" href="${runId ? `/runs/${runId}` : "#"}">${runId ?? ""}</a> <span id="approved-by">${approvedBy}</span></p>
<p>state: <span id="run-state"></span></p>
<p id="outcome" aria-live="polite"></p>
</section>`;
}

/** The past runs, read from the journal (or why it could not be read): a fragment the page reloads when a run ends. */
export function pastRunsFragment(read: Result<PastRuns, DriverError>): Markup {
  const row = (r: RunReport) => html`<tr data-run-id="${r.runId}">
<td><a href="/runs/${r.runId}">${r.runId}</a></td><td>${r.intent.path}</td><td>${r.intent.env}</td>
<td class="state">${r.state}</td><td>${r.intent.actor}</td><td>${r.startedAt}</td><td>${r.durationMs} ms</td></tr>`;
  if (read.isErr())
    return html`<section id="past-runs"><h2>Past runs (from the journal)</h2>
<p class="unreadable">The journal could not be read: ${read.error.message}${read.error.hint ? ` — next: ${read.error.hint}` : ""}</p></section>`;
  const past = read.value;
  return html`<section id="past-runs"><h2>Past runs (from the journal)</h2>
${
  past.runs.length
    ? html`<table><thead><tr><th>run</th><th>path</th><th>env</th><th>state</th><th>actor</th><th>started</th><th>took</th></tr></thead>
<tbody>${past.runs.map(row)}</tbody></table>`
    : html`<p>No runs yet.</p>`
}
${past.unreadable.map((u) => html`<p class="unreadable">run ${u.runId} could not be read: ${u.message}</p>`)}
</section>`;
}

/**
 * The offer page: the alert, the decision, the plan's dry run, the approval form, the live
 * run, the past runs. `approver`, when the service takes approvers from its sign-on proxy,
 * fills the form's name, read-only.
 */
export function offerPage(offer: Offer, description: string, past: Markup, approver?: string): Markup {
  const { decision, offered, alert } = offer;
  const plan = offered.plan?.describe();
  const what =
    decision.action === "rollback"
      ? `rollback — Path ${decision.path} (${decision.recipe})${decision.target?.color ? ` to ${decision.target.color}` : ""}${decision.target?.sha ? ` at ${decision.target.sha.slice(0, 12)}` : ""}`
      : decision.action;
  const steps = (plan?.steps ?? []).map((s) => ({ ...s, status: "pending" }));
  return layout(
    `Backflip: ${alert.env}`,
    description,
    html`<section id="alert"><h2>Alert</h2>
<p>VezaDeployFailed fired for <strong>${alert.env}</strong> at ${alert.startsAt} (fingerprint ${alert.fingerprint})${alert.summary ? html`: ${alert.summary}` : ""}</p></section>
<section id="decision"><h2>Decision</h2>
<p id="decision-what">${what}</p><p>why: ${decision.reason}</p><blockquote>${decision.runbook}</blockquote>
<ul>${decision.warnings.map((w) => html`<li class="warning">⚠ ${w}</li>`)}</ul></section>
<section id="plan"><h2>Plan (dry run)</h2>
${
  plan
    ? html`<p>${plan.intent.path} on ${plan.intent.env}${plan.intent.from ? ` from ${plan.intent.from}` : ""}${plan.intent.to ? ` to ${plan.intent.to}` : ""} — <a href="/offers/${offer.id}/plan.txt">as text</a></p>
${stepsList(steps)}`
    : html`<p id="no-plan">${"why" in offered ? offered.why : ""}</p>`
}</section>
${
  plan && !offer.approval
    ? html`<section id="approve"><h2>Approve</h2>
<form id="approve-form" method="post" action="/offers/${offer.id}/approve">
<label>Approver ${
        approver === undefined
          ? html`<input name="approver" id="approver" required autocomplete="username">`
          : html`<input name="approver" id="approver" value="${approver}" readonly>`
      }</label>
<button type="submit">Approve and run</button></form>
<p id="approve-error" role="alert"></p></section>`
    : ""
}
${runSection(offer.approval?.runId, offer.approval ? `approved by ${offer.approval.approver}` : "")}
${past}`,
  );
}

/** A run's page: its steps as the journal has them, then live (or replayed) progress and the outcome. */
export function runPage(report: RunReport, description: string, past: Markup): Markup {
  const steps = report.steps.map((s) => ({
    id: s.id,
    title: s.title,
    kind: s.kind,
    lines: [],
    status: "pending",
  }));
  return layout(
    `Backflip: run ${report.runId}`,
    description,
    html`<section id="plan"><h2>Plan</h2><p>${report.intent.path} on ${report.intent.env} by ${report.intent.actor}: ${report.intent.reason}</p>
${stepsList(steps)}</section>
${runSection(report.runId, `by ${report.intent.actor}`)}
${past}`,
  );
}

/** The home page: the offers this service made, newest first, and the past runs. */
export function homePage(offers: readonly Offer[], env: string, description: string, past: Markup): Markup {
  return layout(
    `Backflip: ${env}`,
    description,
    html`<section id="offers"><h2>Offers</h2>
${
  offers.length
    ? html`<ul>${offers.map(
        (o) =>
          html`<li><a href="/offers/${o.id}">${o.alert.startsAt}</a> — ${o.decision.action}${o.decision.recipe ? ` (${o.decision.recipe})` : ""}${o.approval ? ` — approved by ${o.approval.approver}` : ""}</li>`,
      )}</ul>`
    : html`<p>No alert received yet: Alertmanager posts to <code>/alerts</code>.</p>`
}</section>
${past}`,
  );
}
