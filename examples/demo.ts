/**
 * The headline: green's deploy is bad; observe the fleet, let `decide()` walk the
 * runbook (it picks Path 1), flip back to blue with live progress, write the postmortem,
 * and say how it ended. Runs on the simulated fleet (`npx -y pnpm@12.4.2 demo`): no real
 * system is touched, and the commands the dry run shows are the ones the real drivers
 * would run.
 */
import { join } from "node:path";
import { decide, fastFlip, observe, postIncident } from "@backflip/core/recipes";
import type { Out } from "./lib/progress";
import { dryRunThenRun, runIfMain, simulatedFleet, topology } from "./lib/simulated";

/** Plays the demo; the postmortem is printed, and also written to `dir/POSTMORTEMS.md` when `dir` is given. True when the run succeeded. */
export async function main(out: Out, dir?: string): Promise<boolean> {
  const fleet = simulatedFleet();
  out("Backflip demo on a simulated fleet: every system below (Incus, HAProxy, the probe) is simulated");
  out("in memory; the commands shown are the ones the real drivers would run. Nothing real is touched.");
  out("");
  out("Green's deploy just went live and it is bad: its containers answer 503.");
  fleet.world.setColor("green", { healthy: false });

  const facts = await observe(topology, fleet.drivers, { probeAttempts: 1 });
  if (facts.isErr()) {
    out(`cannot observe the fleet: ${facts.error.message}`);
    return false;
  }
  const f = facts.value;
  out(
    `live: ${f.activeColor} (${f.liveSha?.slice(0, 12)}), public probe ${f.publicHealth?.healthy ? "ok" : "FAILING"}`,
  );
  out(
    `prior: ${f.priorColor} (${f.priorSha?.slice(0, 12)}), containers ${f.colors[f.priorColor ?? ""]?.allRunning ? "all RUNNING" : "not all running"}`,
  );

  const decided = decide(f, { symptom: "public-probe-failing", onCall: true, paged: true });
  if (decided.isErr()) {
    out(`decide() refused: ${decided.error.message}`);
    return false;
  }
  const decision = decided.value;
  out(`decide(): ${decision.action}, Path ${decision.path ?? "-"} — ${decision.reason}`);
  out(`runbook: "${decision.runbook}"`);
  if (decision.recipe !== "fast-flip" || !decision.target?.color) {
    out("decide() did not pick Path 1: stopping.");
    return false;
  }

  const plan = await fastFlip(topology, fleet.drivers, {
    actor: "on-call",
    reason: "green's deploy is bad: public probe failing",
    target: decision.target.color,
  });
  if (plan.isErr()) {
    out(`cannot plan: ${plan.error.message} (next: ${plan.error.hint ?? "-"})`);
    return false;
  }
  const { ok, events } = await dryRunThenRun(fleet, plan.value, out);

  const entry = await postIncident({
    events,
    decision,
    trigger: "VezaDeployFailed fired and the public probe answered 503 right after green went live",
    alerts: fleet.drivers.alerts,
    host: fleet.drivers.host,
    topology,
    ...(dir === undefined ? {} : { path: join(dir, "POSTMORTEMS.md") }),
  });
  if (entry.isErr()) {
    out(`could not write the postmortem: ${entry.error.message}`);
    return false;
  }
  out("── postmortem ──────────────────────────────────────────");
  for (const line of entry.value.markdown.trimEnd().split("\n")) out(line);
  if (entry.value.path) out(`(appended to ${entry.value.path})`);
  out("────────────────────────────────────────────────────────");
  const t = fleet.world.traffic();
  const health = fleet.world.publicHealth();
  out(
    `now: live ${t.liveColor}, state file ${t.activeColor}, history head ${t.history[0]?.color}; public probe ${"status" in health ? `HTTP ${health.status}` : "refused"}`,
  );
  out(
    ok
      ? "The rollback run succeeded: traffic is back on blue."
      : "The rollback run did NOT succeed: read the report above.",
  );
  return ok;
}

runIfMain(import.meta.url, (out) => main(out));
