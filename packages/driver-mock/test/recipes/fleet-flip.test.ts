import { MemoryJournal, type PlanIntent, resumeRun, runPlan } from "@backflip/core";
import { clearDegraded, decide, fastFlip, fleetFlip, observe, planForIntent } from "@backflip/core/recipes";
import { describe, expect, it } from "vitest";
import { createEdgeFleet, type EdgeFleet } from "../../src/create-edge-fleet";
import { topology } from "./fleet-run";

const who = { actor: "alice", reason: "fleet drill" };
const EDGES = ["edge-1", "edge-2", "edge-3"] as const;

const edgeFleet = () => createEdgeFleet({ topology });

/** Each edge's live color, state file and history head. */
const edgeViews = (f: EdgeFleet) =>
  Object.fromEntries(
    EDGES.map((name) => {
      const t = f.edges[name]!.world.traffic();
      return [name, { live: t.liveColor, active: t.activeColor, head: t.history[0]?.color }];
    }),
  );

/** Every edge: live color = state file = history head = `color`. */
function expectAllOn(f: EdgeFleet, color: string) {
  for (const [name, v] of Object.entries(edgeViews(f)))
    expect(v, name).toEqual({ live: color, active: color, head: color });
}

const snapshot = (f: EdgeFleet) => JSON.stringify(EDGES.map((n) => f.edges[n]!.world.traffic()));

function run(f: EdgeFleet, plan: Parameters<typeof runPlan>[0], journal = f.base.journal, runId?: string) {
  return runPlan(plan, {
    journal,
    lock: f.base.lock,
    owner: "test",
    now: () => f.base.clock.now(),
    ...(runId ? { runId } : {}),
  });
}

const plan = async (f: EdgeFleet, extra: object = {}) =>
  (await fleetFlip(f.topology, f.drivers, { ...who, ...extra }))._unsafeUnwrap();

describe("fleetFlip on a simulated fleet of 3 edges: all-or-nothing", () => {
  it("flips every edge, one journaled step per phase naming every edge's outcome", async () => {
    const f = edgeFleet();
    expectAllOn(f, "green");
    const p = await plan(f);
    expect(p.steps.map((s) => s.id)).toEqual(
      expect.arrayContaining(["preflight-edges", "prepare-edges", "commit-edges", "record-edges"]),
    );
    const journal = new MemoryJournal();
    const report = (await run(f, p, journal))._unsafeUnwrap();
    expect(report.state).toBe("succeeded");
    expectAllOn(f, "blue");
    const records = (await journal.read(report.runId))._unsafeUnwrap();
    const output = (id: string) =>
      records.find((r) => r.event.type === "step.succeeded" && r.event.stepId === id)?.event;
    expect(Object.keys((output("prepare-edges") as { output: object }).output)).toEqual([...EDGES]);
    expect((output("commit-edges") as { output: { committed: object } }).output.committed).toEqual(
      Object.fromEntries(EDGES.map((e) => [e, expect.stringMatching(/^blue:/)])),
    );
    expect((output("record-edges") as { output: unknown }).output).toEqual([...EDGES]);
  });

  it("one edge's candidate fails validation: refused, no edge changed", async () => {
    const f = edgeFleet();
    const before = snapshot(f);
    f.edges["edge-2"]!.faults.fail("traffic.validate", "failed", { message: "haproxy -c: [ALERT] bad" });
    const error = (await run(f, await plan(f)))._unsafeUnwrapErr();
    expect(error.message).toContain("edge-2");
    expect(snapshot(f)).toBe(before);
    for (const n of EDGES) expect(f.edges[n]!.faults.calls("traffic.install"), n).toBe(0);
  });

  it("one edge's commit fails: the edges already committed are put back", async () => {
    for (const op of ["traffic.install", "traffic.reload"] as const) {
      const f = edgeFleet();
      f.edges["edge-3"]!.faults.fail(op, "failed", { times: 1 });
      const error = (await run(f, await plan(f)))._unsafeUnwrapErr();
      expect(error.message, op).toContain("edge-3");
      expectAllOn(f, "green");
      // the edges that committed did go live on blue before being put back
      expect(f.edges["edge-1"]!.faults.calls("traffic.restorePrevious"), op).toBeGreaterThan(0);
    }
  });

  it("one edge's confirm fails: every edge is put back", async () => {
    const f = edgeFleet();
    f.edges["edge-1"]!.faults.fail("traffic.confirm", "failed", { times: 1 });
    const error = (await run(f, await plan(f)))._unsafeUnwrapErr();
    expect(error.kind).toBe("reverted");
    f.edges["edge-1"]!.faults.clear();
    expectAllOn(f, "green");
  });

  it("fastFlip on a topology listing edges is the fleet flip; without drivers.edges it refuses", async () => {
    const f = edgeFleet();
    const p = (await fastFlip(f.topology, f.drivers, who))._unsafeUnwrap();
    expect(p.intent.path).toBe("fleet-flip");
    (await run(f, p))._unsafeUnwrap();
    expectAllOn(f, "blue");
    const { edges: _, ...single } = f.drivers;
    expect((await fastFlip(f.topology, single, who))._unsafeUnwrapErr().reason).toBe("invalid_input");
  });

  it("an unreachable edge refuses the plan, naming it", async () => {
    const f = edgeFleet();
    f.edges["edge-2"]!.faults.fail("traffic.readState", "unavailable");
    const error = (await fleetFlip(f.topology, f.drivers, who))._unsafeUnwrapErr();
    expect(error.message).toContain("edge-2");
  });
});

describe("degraded: only when acknowledged", () => {
  it("refuses allowDegraded without the acknowledgement", async () => {
    const f = edgeFleet();
    const error = (
      await fleetFlip(f.topology, f.drivers, { ...who, allowDegraded: { acknowledged: false } as never })
    )._unsafeUnwrapErr();
    expect(error.reason).toBe("invalid_input");
    expect(error.message).toContain("allowDegraded");
  });

  it("with every edge failing to commit, the degraded flip fails and leaves no marker", async () => {
    const f = edgeFleet();
    for (const n of EDGES) f.edges[n]!.faults.fail("traffic.reload", "unavailable");
    (await run(f, await plan(f, { allowDegraded: { acknowledged: true } })))._unsafeUnwrapErr();
    for (const n of EDGES) f.edges[n]!.faults.clear();
    expectAllOn(f, "green");
    expect((await f.drivers.fleetMarker.read())._unsafeUnwrap()).toBeNull();
  });

  it("leaves the failing edge behind, marked; observe and decide report it; clear works once converged", async () => {
    const f = edgeFleet();
    f.edges["edge-2"]!.faults.fail("traffic.reload", "unavailable");
    const report = (await run(f, await plan(f, { allowDegraded: { acknowledged: true } })))._unsafeUnwrap();
    expect(report.state).toBe("succeeded");
    expect(edgeViews(f)).toEqual({
      "edge-1": { live: "blue", active: "blue", head: "blue" },
      "edge-2": { live: "green", active: "green", head: "green" },
      "edge-3": { live: "blue", active: "blue", head: "blue" },
    });
    const facts = (await observe(f.topology, f.drivers))._unsafeUnwrap();
    expect(facts.fleet?.split).toEqual({ blue: ["edge-1", "edge-3"], green: ["edge-2"] });
    expect(facts.fleet?.degraded).toMatchObject({ color: "blue", lagging: [{ edge: "edge-2" }] });
    const decision = decide(facts, { symptom: "app-broken", onCall: true, paged: true })._unsafeUnwrap();
    expect(decision).toMatchObject({
      rule: "converge-fleet",
      recipe: "fleet-flip",
      target: { color: "blue" },
    });

    // the marker stays while the fleet is split
    expect((await clearDegraded(f.topology, f.drivers))._unsafeUnwrapErr().reason).toBe("conflict");
    // a plain flip refuses a split fleet; converging needs the target
    expect((await fleetFlip(f.topology, f.drivers, who))._unsafeUnwrapErr().reason).toBe("conflict");
    f.edges["edge-2"]!.faults.clear();
    (await run(f, await plan(f, { target: "blue" })))._unsafeUnwrap();
    expectAllOn(f, "blue");
    const afterConverge = (await observe(f.topology, f.drivers))._unsafeUnwrap();
    expect(afterConverge.fleet?.split).toBeNull();
    expect(afterConverge.fleet?.degraded).not.toBeNull();
    expect((await clearDegraded(f.topology, f.drivers))._unsafeUnwrap()?.lagging[0]?.edge).toBe("edge-2");
    expect((await observe(f.topology, f.drivers))._unsafeUnwrap().fleet?.degraded).toBeNull();
  });
});

describe("observe and decide know fleets", () => {
  it("edges that disagree are a split fact, and decide says to converge before any path", async () => {
    const f = edgeFleet();
    // edge-3 alone flipped by hand (a fleet flip of its own topology)
    const lone = f.edges["edge-3"]!;
    const single = { ...f.topology, traffic: { ...f.topology.traffic, edges: ["edge-3", "edge-x"] } };
    (
      await run(
        f,
        await (
          await fleetFlip(
            single,
            {
              ...lone.drivers,
              edges: { "edge-3": lone.drivers.traffic, "edge-x": f.edges["edge-1"]!.drivers.traffic },
            },
            who,
          )
        )._unsafeUnwrap(),
      )
    )._unsafeUnwrap();
    const facts = (await observe(f.topology, f.drivers))._unsafeUnwrap();
    expect(facts.fleet?.split).toEqual({ blue: ["edge-1", "edge-3"], green: ["edge-2"] });
    expect(facts.fleet?.degraded).toBeNull();
    const decision = decide(facts, {
      symptom: "public-probe-failing",
      onCall: true,
      paged: true,
    })._unsafeUnwrap();
    expect(decision.rule).toBe("converge-fleet");
    expect(decision.reason).toContain("edge-2 on green");
    expect(decision.target).toEqual({ color: "blue" });
  });

  it("one proxy: no fleet facts, decide as before", async () => {
    const f = edgeFleet();
    const facts = (await observe(topology, f.base.drivers))._unsafeUnwrap();
    expect(facts.fleet).toBeUndefined();
  });
});

describe("a fleet flip killed at every journal record converges", () => {
  it("killed half-way through the commit (two edges live, one not): revert and continue both converge", async () => {
    const full = edgeFleet();
    const journal = new MemoryJournal();
    (await run(full, await plan(full), journal))._unsafeUnwrap();
    const events = (await journal.read((await journal.list())._unsafeUnwrap()[0]!))._unsafeUnwrap();
    const commitStarted =
      events.findIndex((r) => r.event.type === "step.started" && r.event.stepId === "commit-edges") + 1;
    for (const mode of ["revert", "continue"] as const) {
      const f = edgeFleet();
      const runId = `half-${mode}`;
      const p = await plan(f);
      // the journal dies once commit-edges started: its success is never recorded
      const killed = await run(f, p, f.base.crashingJournal(commitStarted), runId);
      expect(killed.isErr()).toBe(true);
      // … and edge-2 had not committed yet when the process died
      const edge2 = f.edges["edge-2"]!.drivers.traffic;
      (await edge2.restorePrevious())._unsafeUnwrap();
      (await edge2.reload())._unsafeUnwrap();
      expect(Object.values(edgeViews(f)).map((v) => v.live)).toEqual(["blue", "green", "blue"]);
      f.base.clock.advance(120_000);
      const resumed = await resumeRun(runId, {
        journal: f.base.journal,
        lock: f.base.lock,
        owner: "test-resume",
        now: () => f.base.clock.now(),
        mode,
        breakStaleLock: true,
        rebuild: (intent: PlanIntent) => planForIntent(f.topology, f.drivers, intent),
      });
      expectAllOn(f, mode === "continue" ? "blue" : "green");
      expect(resumed.isOk(), mode).toBe(mode === "continue");
    }
  });

  it("resume (continue and revert) leaves every edge agreeing with its state file", async () => {
    const probe = edgeFleet();
    const journal = new MemoryJournal();
    (await run(probe, await plan(probe), journal))._unsafeUnwrap();
    const total = (await journal.read((await journal.list())._unsafeUnwrap()[0]!))._unsafeUnwrap().length;
    expect(total).toBeGreaterThan(20);
    for (const mode of ["continue", "revert"] as const)
      for (let n = 1; n < total; n++) {
        const f = edgeFleet();
        const runId = `kill-${mode}-${n}`;
        const killed = await run(f, await plan(f), f.base.crashingJournal(n), runId);
        expect(killed.isErr(), `n=${n}`).toBe(true);
        f.base.clock.advance(120_000);
        const resumed = await resumeRun(runId, {
          journal: f.base.journal,
          lock: f.base.lock,
          owner: "test-resume",
          now: () => f.base.clock.now(),
          mode,
          breakStaleLock: true,
          rebuild: (intent: PlanIntent) => planForIntent(f.topology, f.drivers, intent),
        });
        const views = Object.values(edgeViews(f));
        const color = views[0]?.active;
        expect(["blue", "green"], `${mode} n=${n}`).toContain(color);
        for (const v of views)
          expect(v, `${mode} n=${n}`).toEqual({ live: color, active: color, head: color });
        if (resumed.isOk()) expect(color, `${mode} n=${n}`).toBe("blue");
        else expect(color, `${mode} n=${n}: ${resumed.error.message}`).toBe("green");
        for (const name of EDGES) {
          const lines = f.edges[name]!.world.traffic().history.filter((h) => h.runId === runId);
          expect(lines.length, `${mode} n=${n} ${name}`).toBeLessThanOrEqual(1);
        }
      }
  });
});
