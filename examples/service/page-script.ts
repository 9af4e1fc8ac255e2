/**
 * The page's script (plain browser JavaScript, inlined): posts the approval, follows the
 * run's server-sent events step by step, shows the outcome, then reloads the past runs.
 * It writes only with `textContent`: nothing the server sends becomes markup.
 */
export const PAGE_SCRIPT = `
const run = document.getElementById("run");
const STATUS = {
  "step.started": "running", "step.succeeded": "succeeded", "step.failed": "failed",
  "step.undo.started": "undoing", "step.undone": "undone", "step.undo_failed": "undo_failed",
};
function stepItem(id) {
  return [...document.querySelectorAll("#steps > li")].find((li) => li.dataset.stepId === id);
}
async function refreshPastRuns() {
  const res = await fetch("/fragments/past-runs");
  if (res.ok) document.getElementById("past-runs").outerHTML = await res.text();
}
function show(item) {
  if (item.kind === "outcome") {
    const out = document.getElementById("outcome");
    out.dataset.state = item.state;
    out.textContent = item.state + ": " + item.message + (item.hint ? " — next: " + item.hint : "");
    refreshPastRuns();
    return true;
  }
  if (item.type === "plan.transition" || item.type === "plan.finished") {
    document.getElementById("run-state").textContent = item.to || item.state;
  }
  const li = item.stepId && stepItem(item.stepId);
  if (!li) return false;
  if (STATUS[item.type]) {
    li.dataset.status = STATUS[item.type];
    li.querySelector(".status").textContent =
      STATUS[item.type] + (item.durationMs === undefined ? "" : " (" + item.durationMs + " ms)");
  }
  if (item.message) {
    const line = document.createElement("li");
    line.textContent = item.message + (item.hint ? " — next: " + item.hint : "");
    li.querySelector(".log").append(line);
  }
  return false;
}
function watch(runId) {
  run.hidden = false;
  run.dataset.runId = runId;
  const link = document.getElementById("run-link");
  link.textContent = runId;
  link.href = "/runs/" + encodeURIComponent(runId);
  const source = new EventSource("/runs/" + encodeURIComponent(runId) + "/events");
  source.onmessage = (message) => { if (show(JSON.parse(message.data))) source.close(); };
}
const form = document.getElementById("approve-form");
if (form) form.addEventListener("submit", async (submit) => {
  submit.preventDefault();
  const error = document.getElementById("approve-error");
  error.textContent = "";
  const approver = form.elements.approver.value;
  const res = await fetch(form.action, {
    method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ approver }),
  });
  const body = await res.json();
  if (!res.ok) {
    error.textContent = body.error.message + (body.error.hint ? " — next: " + body.error.hint : "");
    return;
  }
  document.getElementById("approve").hidden = true;
  document.getElementById("approved-by").textContent = "approved by " + body.approver;
  watch(body.runId);
});
if (run.dataset.runId) watch(run.dataset.runId);
`;
