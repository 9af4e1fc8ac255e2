/**
 * Decide — observe the fleet, walk the runbook's flowchart and its "When NOT to rollback"
 * rules, then run what the decision points to.
 * Run: `npx tsx examples/decide.ts`
 */
import {
  type DecideContext,
  type Decision,
  decide,
  fastFlip,
  observe,
  redeploy,
} from "@backflip/core/recipes";
import type { Out } from "./lib/progress";
import { dryRunThenRun, runIfMain, simulatedFleet, topology } from "./lib/simulated";

const asked: { label: string; context: DecideContext }[] = [
  { label: "one user reports a bug", context: { symptom: "single-user-report", onCall: true, paged: false } },
  {
    label: "it is slow since the deploy",
    context: { symptom: "performance-regression", onCall: true, paged: true },
  },
  { label: "a button is misaligned", context: { symptom: "cosmetic-bug", onCall: true, paged: true } },
  {
    label: "someone off call wants to be safe",
    context: { symptom: "app-broken", onCall: false, paged: false },
  },
  {
    label: "the deploy job went red in Phase D",
    context: { symptom: "public-probe-failing", onCall: true, paged: true, newColorCameUp: false },
  },
  {
    label: "paged: the public probe fails",
    context: { symptom: "public-probe-failing", onCall: true, paged: true },
  },
];

/** Runs the example on a fresh simulated fleet; true when the on-call case led to a successful rollback. */
export async function main(out: Out): Promise<boolean> {
  const fleet = simulatedFleet();
  fleet.world.setColor("green", { healthy: false });
  const facts = await observe(topology, fleet.drivers, { probeAttempts: 1 });
  if (facts.isErr()) {
    out(`cannot observe: ${facts.error.message}`);
    return false;
  }
  out(
    `facts: ${facts.value.activeColor} live (public probe ${facts.value.publicHealth?.healthy ? "ok" : "FAILING"}), prior ${facts.value.priorColor}`,
  );
  let last: Decision | undefined;
  for (const { label, context } of asked) {
    const decided = decide(facts.value, context);
    if (decided.isErr()) {
      out(`• ${label}: ${decided.error.message}`);
      return false;
    }
    last = decided.value;
    out(
      `• ${label}: ${last.action}${last.path ? ` (Path ${last.path}, ${last.recipe})` : ""} — ${last.reason}`,
    );
    out(`    runbook: "${last.runbook}"`);
  }
  if (last?.action !== "rollback") return false;
  const who = { actor: "alice", reason: last.reason };
  const plan =
    last.recipe === "fast-flip"
      ? await fastFlip(topology, fleet.drivers, {
          ...who,
          ...(last.target?.color ? { target: last.target.color } : {}),
        })
      : await redeploy(topology, fleet.drivers, { ...who, sha: last.target?.sha ?? "" });
  if (plan.isErr()) {
    out(`cannot plan: ${plan.error.message}`);
    return false;
  }
  return (await dryRunThenRun(fleet, plan.value, out)).ok;
}

runIfMain(import.meta.url, main);
