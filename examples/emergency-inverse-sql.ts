/**
 * Path 3 — schema is poisoned: apply the destructive migration's inverse SQL inside the
 * postgres container, in one transaction. Then run Path 2.
 * Run: `npx tsx examples/emergency-inverse-sql.ts`
 */
import { applyInverseSql } from "@backflip/core/recipes";
import type { Out } from "./lib/progress";
import { dryRunThenRun, runIfMain, simulatedFleet, topology } from "./lib/simulated";

/** The inverse SQL, as the destructive migration's PR description documents it. */
const INVERSE_SQL = `-- inverse of 0008_drop_legacy_name
ALTER TABLE users ADD COLUMN legacy_name text;
UPDATE schema_migrations SET version = 7, dirty = FALSE;
`;

/** Runs the example on a fresh simulated fleet; true when the schema is back at version 7, clean. */
export async function main(out: Out): Promise<boolean> {
  const fleet = simulatedFleet();
  fleet.world.setMigration({ version: 8, dirty: true });
  const plan = await applyInverseSql(topology, fleet.drivers, {
    actor: "alice",
    reason: "0008 dropped a column the old binary reads",
    sql: INVERSE_SQL,
    expectedVersionAfter: 7,
  });
  if (plan.isErr()) {
    out(`cannot plan: ${plan.error.message}`);
    return false;
  }
  const { ok } = await dryRunThenRun(fleet, plan.value, out);
  const m = fleet.world.migration();
  out(
    `schema_migrations: version ${m.version}, dirty ${m.dirty}. Then run Path 2 to deploy the older binary.`,
  );
  return ok && m.version === 7 && !m.dirty;
}

runIfMain(import.meta.url, main);
