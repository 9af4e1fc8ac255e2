import { cleanupColor, HINTS } from "@backflip/core/recipes";
import { describe, expect, it } from "vitest";
import { fleet, run, topology, worldSnapshot } from "./fleet-run";

const who = { actor: "alice", reason: "forensics done" };

describe("cleanupColor on the simulated fleet", () => {
  it("refuses the live color at planning, changing nothing", async () => {
    const f = fleet();
    const before = worldSnapshot(f);
    const e = (await cleanupColor(topology, f.drivers, { ...who, color: "green" }))._unsafeUnwrapErr();
    expect(e.reason).toBe("conflict");
    expect(e.hint).toBe(HINTS.neverCleanLive);
    expect(worldSnapshot(f)).toBe(before);
  });

  it("refuses at run time when the color became live after planning", async () => {
    const f = fleet();
    const plan = (await cleanupColor(topology, f.drivers, { ...who, color: "blue" }))._unsafeUnwrap();
    (
      await f.drivers.traffic.writeState({ activeColor: "blue", history: f.world.traffic().history })
    )._unsafeUnwrap();
    const error = (await run(f, plan)).result._unsafeUnwrapErr();
    expect(error.kind).toBe("refused");
    expect(error.report?.error?.hint).toBe(HINTS.neverCleanLive);
    expect(f.world.colorContainers("blue")).toHaveLength(3);
  });

  it("deletes the failed color natively (stopping first)", async () => {
    const f = fleet();
    const plan = (await cleanupColor(topology, f.drivers, { ...who, color: "blue" }))._unsafeUnwrap();
    expect(plan.render()).toContain("incus delete --force veza-staging-backend-blue");
    (await run(f, plan)).result._unsafeUnwrap();
    expect(f.world.colorContainers("blue")).toHaveLength(0);
    expect(f.world.colorContainers("green")).toHaveLength(3);
    expect(f.world.publicHealth()).toMatchObject({ status: 200 });
  });

  it("deletes through cleanup-failed.yml", async () => {
    const f = fleet();
    const plan = (
      await cleanupColor(topology, f.drivers, { ...who, color: "blue", via: "pipeline" })
    )._unsafeUnwrap();
    (await run(f, plan)).result._unsafeUnwrap();
    expect(f.world.runs()[0]).toMatchObject({
      workflow: "cleanup-failed.yml",
      inputs: { env: "staging", color: "blue" },
      status: "success",
    });
    expect(f.world.colorContainers("blue")).toHaveLength(0);
  });

  it("bad inputs change nothing", async () => {
    const f = fleet();
    const before = worldSnapshot(f);
    for (const input of [{ ...who }, { ...who, color: "red" }, { ...who, color: "blue", via: "ssh" }])
      expect((await cleanupColor(topology, f.drivers, input as never))._unsafeUnwrapErr().reason).toBe(
        "invalid_input",
      );
    expect(worldSnapshot(f)).toBe(before);
  });
});
