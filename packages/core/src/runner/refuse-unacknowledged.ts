import type { RollbackPlan } from "../plan/rollback-plan";
import type { RunError } from "./run-error";
import { runFailure } from "./run-failure";

/** `needs_acknowledgement` when the plan has destructive steps and data loss was not acknowledged. */
export function refuseUnacknowledged(
  plan: RollbackPlan,
  acknowledged: boolean | undefined,
  runId?: string,
): RunError | undefined {
  const destructive = plan.steps.filter((s) => s.destructive).map((s) => s.id);
  if (destructive.length === 0 || acknowledged === true) return undefined;
  return runFailure(
    "needs_acknowledgement",
    `the plan loses data (${destructive.join(", ")}): nothing was run`,
    {
      ...(runId ? { runId } : {}),
      hint: "read the dry run (plan.render()), then run again with acknowledgeDataLoss: true",
    },
  );
}
