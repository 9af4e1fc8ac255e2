/**
 * Path 3 — the Incus host is broken: stop postgres, `zfs rollback -r` its dataset to the
 * pre-deploy snapshot, start it. Loses every write since the snapshot: it needs an
 * explicit acknowledgement. Last resort only.
 * Run: `npx tsx examples/emergency-restore-snapshot.ts`
 */
import { runPlan } from "@backflip/core";
import { planRestoreSnapshot, restoreSnapshot } from "@backflip/core/recipes";
import type { Out } from "./lib/progress";
import { dryRunThenRun, runIfMain, simulatedFleet, topology } from "./lib/simulated";

/** Runs the example on a fresh simulated fleet; true when the refusal and then the acknowledged restore behaved. */
export async function main(out: Out): Promise<boolean> {
  const fleet = simulatedFleet();
  fleet.clock.advance(90 * 60_000);
  fleet.world.setTable("users", {
    columns: ["id", "email"],
    rows: [{ id: 3, email: "written-after@veza.fr" }],
  });
  const who = { actor: "alice", reason: "incus host lost the postgres dataset's consistency" };

  const preview = await planRestoreSnapshot(topology, fleet.drivers, who);
  if (preview.isErr()) {
    out(`cannot preview: ${preview.error.message}`);
    return false;
  }
  out(`would restore ${preview.value.dataset}@${preview.value.snapshot}: ${preview.value.summary}`);

  const plan = await restoreSnapshot(topology, fleet.drivers, who);
  if (plan.isErr()) {
    out(`cannot plan: ${plan.error.message}`);
    return false;
  }
  const unacknowledged = await runPlan(plan.value, {
    journal: fleet.journal,
    lock: fleet.lock,
    owner: "example",
  });
  const refused = unacknowledged.isErr() && unacknowledged.error.kind === "needs_acknowledgement";
  if (unacknowledged.isErr())
    out(`without acknowledgement: ${unacknowledged.error.message} (${unacknowledged.error.hint})`);

  out("with acknowledgeDataLoss: true —");
  const { ok } = await dryRunThenRun(fleet, plan.value, out, { acknowledgeDataLoss: true });
  const emails = fleet.world.table("users")?.rows.map((r) => String(r.email)) ?? [];
  out(`users after the restore: ${emails.join(", ")}`);
  return refused && ok && !emails.includes("written-after@veza.fr");
}

runIfMain(import.meta.url, main);
