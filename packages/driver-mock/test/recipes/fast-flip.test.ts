import { fastFlip, HINTS, observe } from "@backflip/core/recipes";
import { describe, expect, it } from "vitest";
import { expectConverged, fleet, run, topology, worldSnapshot } from "./fleet-run";

const who = { actor: "alice", reason: "green's deploy is bad" };

describe("fastFlip (Path 1) on the simulated fleet", () => {
  it("flips back to the prior color, probes, records, and converges", async () => {
    const f = fleet();
    const before = f.world.traffic();
    expect(before.activeColor).toBe("green");
    const plan = (await fastFlip(topology, f.drivers, who))._unsafeUnwrap();
    expect(plan.intent).toMatchObject({ path: "fast-flip", from: "green", to: "blue" });
    expect(plan.render()).toContain(
      "$ incus list --format csv -c n,s '^(veza-staging-backend-blue|veza-staging-stream-blue|veza-staging-web-blue)$'",
    );
    const { result, events } = await run(f, plan);
    const report = result._unsafeUnwrap();
    expect(report.state).toBe("succeeded");
    expectConverged(f, "blue");
    const head = f.world.traffic().history[0];
    expect(head).toMatchObject({ color: "blue", runId: report.runId, actor: "alice" });
    expect(head?.sha).toBe(before.history.find((h) => h.color === "blue")?.sha);
    expect(f.world.publicHealth()).toMatchObject({ status: 200 });
    expect(events.map((e) => e.type)).toContain("plan.finished");
    const facts = report.steps.find((s) => s.id === "post-run-facts")?.output;
    expect(facts).toMatchObject({ activeColor: "blue", historyHead: { color: "blue" } });
  });

  it("takes an explicit target color", async () => {
    const f = fleet();
    const plan = (await fastFlip(topology, f.drivers, { ...who, target: "blue" }))._unsafeUnwrap();
    expect(plan.intent.to).toBe("blue");
  });

  it("refuses with the Path 2 hint when a target container is not RUNNING, changing nothing", async () => {
    const f = fleet();
    f.world.setStatus("veza-staging-stream-blue", "Stopped")._unsafeUnwrap();
    const before = worldSnapshot(f);
    const plan = (await fastFlip(topology, f.drivers, who))._unsafeUnwrap();
    const { result } = await run(f, plan);
    const error = result._unsafeUnwrapErr();
    expect(error.kind).toBe("refused");
    expect(error.report?.error?.hint).toBe(HINTS.usePath2);
    expect(error.report?.error?.message).toContain("veza-staging-stream-blue is Stopped");
    expect(worldSnapshot(f)).toBe(before);
  });

  it("refuses with the Path 2 hint when the prior color was destroyed", async () => {
    const f = fleet();
    f.world.destroyColor("blue")._unsafeUnwrap();
    const plan = (await fastFlip(topology, f.drivers, who))._unsafeUnwrap();
    const error = (await run(f, plan)).result._unsafeUnwrapErr();
    expect(error.kind).toBe("refused");
    expect(error.report?.error?.hint).toContain("Path 2");
    expect(error.report?.error?.message).toContain("does not exist");
  });

  it("refuses a target that is already live, at planning", async () => {
    const f = fleet();
    const e = (await fastFlip(topology, f.drivers, { ...who, target: "green" }))._unsafeUnwrapErr();
    expect(e.reason).toBe("conflict");
    expect(e.hint).toContain("Path 2");
  });

  it("reverts the flip when the public probe fails after it (bad prior release)", async () => {
    const f = fleet();
    const blueSha = f.world.release("veza-staging-backend-blue")!;
    f.world.markBadRelease(blueSha)._unsafeUnwrap();
    const plan = (
      await fastFlip(topology, f.drivers, { ...who, probe: { attempts: 2, deadlineMs: 2000 } })
    )._unsafeUnwrap();
    const error = (await run(f, plan)).result._unsafeUnwrapErr();
    expect(error.kind).toBe("reverted");
    expect(error.report?.steps.find((s) => s.id === "activate")?.outcome).toBe("undone");
    expectConverged(f, "green");
  });

  it("reverts when the reload fails, leaving traffic where it was", async () => {
    const f = fleet();
    f.faults.fail("traffic.reload", "failed", { times: 1, message: "reload refused" });
    const plan = (await fastFlip(topology, f.drivers, who))._unsafeUnwrap();
    const error = (await run(f, plan)).result._unsafeUnwrapErr();
    expect(["reverted", "revert_failed"]).toContain(error.kind);
    expect(f.world.traffic().liveColor).toBe("green");
    expect(f.world.traffic().activeColor).toBe("green");
    // the new config is not left on disk for the next reload to pick up
    expect(f.world.traffic().installedRevision).toBe(f.world.traffic().liveRevision);
  });

  it("puts the previous config back when the confirm fails after the install", async () => {
    const f = fleet();
    const before = f.world.traffic();
    f.faults.fail("traffic.confirm", "failed", { times: 1, message: "the proxy did not load it" });
    const plan = (await fastFlip(topology, f.drivers, who))._unsafeUnwrap();
    const { result, events } = await run(f, plan);
    expect(["reverted", "revert_failed"]).toContain(result._unsafeUnwrapErr().kind);
    const after = f.world.traffic();
    expect(after.liveColor).toBe("green");
    expect(after.installedRevision).toBe(before.installedRevision);
    expect(after.config).toBe(before.config);
    expect(
      events.some((e) => e.type === "step.log" && e.message.includes("putting the previous config back")),
    ).toBe(true);
  });

  it("bad inputs get invalid_input and change nothing", async () => {
    const f = fleet();
    const before = worldSnapshot(f);
    for (const input of [
      { ...who, target: "purple" },
      { ...who, actor: "alice smith" },
      { ...who, reason: "" },
      { ...who, reason: "two\nlines" },
      { ...who, extra: 1 },
      { ...who, probe: { attempts: 0 } },
    ]) {
      const e = (await fastFlip(topology, f.drivers, input as never))._unsafeUnwrapErr();
      expect(e.reason).toBe("invalid_input");
    }
    const badTopology = { ...topology, colors: ["blue", "blue"] as [string, string] };
    expect((await fastFlip(badTopology, f.drivers, who))._unsafeUnwrapErr().reason).toBe("invalid_input");
    expect(worldSnapshot(f)).toBe(before);
  });

  it("observe sees the flip", async () => {
    const f = fleet();
    const plan = (await fastFlip(topology, f.drivers, who))._unsafeUnwrap();
    (await run(f, plan)).result._unsafeUnwrap();
    const facts = (await observe(topology, f.drivers))._unsafeUnwrap();
    expect(facts.activeColor).toBe("blue");
    expect(facts.priorColor).toBe("green");
    expect(facts.publicHealth?.healthy).toBe(true);
  });
});
