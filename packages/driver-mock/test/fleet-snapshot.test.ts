import { runPlan } from "@backflip/core";
import { fastFlip } from "@backflip/core/recipes";
import { describe, expect, it } from "vitest";
import { createFleet, type Fleet, fleetSha, restoreFleet, snapshotFleet } from "../src/index";

/** JSON round trip, as a file would do. */
function roundTrip(fleet: Fleet): Fleet {
  const snap = snapshotFleet(fleet);
  if (snap.isErr()) throw new Error(snap.error.message);
  const restored = restoreFleet(JSON.parse(JSON.stringify(snap.value)));
  if (restored.isErr()) throw new Error(restored.error.message);
  return restored.value;
}

const run = (fleet: Fleet, plan: Parameters<typeof runPlan>[0]) =>
  runPlan(plan, { journal: fleet.journal, lock: fleet.lock, now: () => fleet.clock.now() });

describe("snapshotFleet / restoreFleet", () => {
  it("brings back the same world: traffic, containers, artifacts, datasets, database, alerts, clock", () => {
    const fleet = createFleet();
    fleet.world.setColor("green", { healthy: false });
    fleet.world.setStatus("veza-staging-web-blue", "Stopped");
    fleet.world.markBadRelease(fleetSha("bad"));
    fleet.world.setAlert("Custom", true);
    fleet.world.setMigration({ version: 7, dirty: true });
    fleet.world.defineWorkflow("other.yml", "never");
    fleet.clock.advance(90_000);
    const back = roundTrip(fleet);
    expect(back.world.traffic()).toEqual(fleet.world.traffic());
    expect(back.world.containers()).toEqual(fleet.world.containers());
    expect(back.world.artifacts()).toEqual(fleet.world.artifacts());
    expect(back.world.datasets()).toEqual(fleet.world.datasets());
    expect(back.world.migration()).toEqual({ managed: true, version: 7, dirty: true });
    expect(back.world.alerts()).toEqual(fleet.world.alerts());
    expect(back.world.publicHealth()).toEqual(fleet.world.publicHealth());
    expect(back.clock.now()).toEqual(fleet.clock.now());
  });

  it("the restored fleet carries on where the first stopped: a flip there shows in the next restore", async () => {
    const first = createFleet();
    first.world.setColor("green", { healthy: false });
    const second = roundTrip(first);
    const plan = await fastFlip(second.topology, second.drivers, { actor: "alice", reason: "green 500s" });
    expect(plan.isOk()).toBe(true);
    if (plan.isErr()) return;
    const result = await run(second, plan.value);
    expect(result.isOk()).toBe(true);
    const third = roundTrip(second);
    expect(third.world.traffic().liveColor).toBe("blue");
    expect(third.world.traffic().activeColor).toBe("blue");
    expect(third.world.traffic().history[0]?.color).toBe("blue");
    // the first fleet is untouched
    expect(first.world.traffic().liveColor).toBe("green");
  });

  it("keeps a container's dataset sharing its image, so a snapshot rollback still restores the container", async () => {
    const fleet = createFleet();
    const pg = fleet.topology.database.container;
    const back = roundTrip(fleet);
    const before = back.world.table("users");
    const sql = await back.drivers.database.applySql("DELETE FROM users;");
    expect(sql.isOk()).toBe(true);
    expect(back.world.table("users")?.rows).toEqual([]);
    const stop = await back.drivers.host.stop(pg);
    expect(stop.isOk()).toBe(true);
    const dataset = back.world.datasets().find((d) => d.container === pg);
    const snap = dataset?.snapshots[0];
    expect(snap).toBeDefined();
    if (!dataset || !snap) return;
    const rolled = await back.drivers.snapshots.rollback(dataset.name, snap.name, {
      acknowledgeDataLoss: true,
    });
    expect(rolled.isOk()).toBe(true);
    expect(back.world.table("users")).toEqual(before);
  });

  it("keeps workflow runs, so a run dispatched before the restore can be followed after it", async () => {
    const fleet = createFleet();
    const dispatched = await fleet.drivers.pipeline.dispatch({
      workflow: fleet.topology.pipeline.rollback,
      ref: fleet.topology.pipeline.ref,
      inputs: { env: "staging", mode: "fast", target_color: "blue", release_sha: "" },
    });
    expect(dispatched.isOk()).toBe(true);
    if (dispatched.isErr()) return;
    const back = roundTrip(fleet);
    expect(back.world.runs()).toEqual(fleet.world.runs());
    const followed = await back.drivers.pipeline.follow(dispatched.value.id, {
      pollMs: 1,
      deadlineMs: 60_000,
    });
    expect(followed.isOk() && followed.value.status).toBe("success");
    expect(back.world.traffic().liveColor).toBe("blue");
  });

  it("refuses a malformed snapshot with invalid_input naming the field, and a foreign fleet object", () => {
    const snap = snapshotFleet(createFleet());
    expect(snap.isOk()).toBe(true);
    if (snap.isErr()) return;
    const bad = restoreFleet({ ...snap.value, version: 1 });
    expect(bad.isErr() && bad.error.reason).toBe("invalid_input");
    expect(bad.isErr() && bad.error.message).toContain("version");
    const missing = restoreFleet({
      ...snap.value,
      datasets: [{ name: "rpool/x", container: "nope", snapshots: [] }],
    });
    expect(missing.isErr() && missing.error.message).toContain("missing container");
    expect(restoreFleet("not json").isErr()).toBe(true);
    const foreign = snapshotFleet({ ...createFleet() });
    expect(foreign.isErr() && foreign.error.reason).toBe("invalid_input");
  });
});
