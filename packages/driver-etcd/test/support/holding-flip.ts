import { createPlan, type RollbackPlan, type Step } from "@backflip/core";
import { fastFlip } from "@backflip/core/recipes";
import { createFleet, type Fleet } from "@backflip/driver-mock";
import { ResultAsync } from "neverthrow";

/** The id of the first step of {@link holdingFlip}'s plan, the one that holds the lease. */
export const HOLD_STEP = "hold";

/**
 * A fast flip (green is failing, traffic goes back to blue) on a driver-mock fleet with a
 * real-time clock, whose first step only holds the lease for `holdMs`: the window in
 * which a test contends or breaks etcd.
 */
export async function holdingFlip(
  actor: string,
  holdMs: number,
): Promise<{ fleet: Fleet; plan: RollbackPlan }> {
  const fleet = createFleet({ clock: "realtime" });
  fleet.world.setColor("green", { healthy: false });
  const flip = (
    await fastFlip(fleet.topology, fleet.drivers, { actor, reason: "etcd test" })
  )._unsafeUnwrap();
  const hold: Step = {
    id: HOLD_STEP,
    title: `holds the lease ${holdMs} ms`,
    kind: "check",
    describe: () => [],
    run: () => ResultAsync.fromSafePromise(new Promise((r) => setTimeout(r, holdMs))).map(() => null),
  };
  return { fleet, plan: createPlan(flip.intent, [hold, ...flip.steps])._unsafeUnwrap() };
}
