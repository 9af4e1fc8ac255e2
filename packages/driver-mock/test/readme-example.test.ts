import { runPlan } from "@backflip/core";
import { fastFlip } from "@backflip/core/recipes";
import { expect, it } from "vitest";
import { createFleet } from "../src/index";

it("the README example flips to blue", async () => {
  const fleet = createFleet();
  fleet.world.setColor("green", { healthy: false });
  const plan = await fastFlip(fleet.topology, fleet.drivers, { actor: "alice", reason: "green 500s" });
  if (plan.isOk()) {
    await runPlan(plan.value, { journal: fleet.journal, lock: fleet.lock, now: () => fleet.clock.now() });
  }
  expect(fleet.world.traffic()).toMatchObject({ activeColor: "blue", liveColor: "blue" });
});
