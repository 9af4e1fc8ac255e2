import { join } from "node:path";
import type { LeaseLock, TrafficSwitch } from "@backflip/core";
import { clearDegraded, decide, fleetFlip, observe } from "@backflip/core/recipes";
import { DEFAULT_HAPROXY_TEMPLATE } from "@backflip/driver-haproxy";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IncusInstances } from "../src/incus-instances";
import { labTrafficSwitch } from "../src/lab-drivers";
import { type LabFleetDrivers, labFleetDrivers, resetLabFleet } from "../src/lab-fleet";
import { LAB_EDGES, LAB_HAPROXY, type LabEdge, labEdgeHealthUrl } from "../src/lab-settings";
import { provisionLabEdge } from "../src/lab-up";
import { type ChildExit, LabChild } from "./lab-child";
import { haproxyCheck, lockAhead, resumeOnLab } from "./lab-converged";
import { planned, runOnLab, scratchDir, upLab } from "./lab-support";
import { skipUnlessLabAndWrk as skip, underLoadOnEveryEdge } from "./under-load-on-every-edge";

const who = { actor: "lab-fleet", reason: "the lab's fleet tests" };
const decoder = new TextDecoder();

/** The child's lease time-to-live; the test's lock clock runs past it, so a killed run's lease reads as expired. */
const CHILD_TTL_MS = 5_000;
/** Records a whole 3-edge fleet flip journals on the lab (checked by the first crash test). */
const FLEET_RECORDS = 21;
/** Every record of a fleet flip; continue on odd N, revert on even N. */
const kills = Array.from({ length: FLEET_RECORDS }, (_, i) => i + 1).map((n) => ({
  n,
  mode: n % 2 === 1 ? ("continue" as const) : ("revert" as const),
}));

/** The driver's template with a directive HAProxy does not know: `haproxy -c` rejects it. */
const UNKNOWN_DIRECTIVE_TEMPLATE = DEFAULT_HAPROXY_TEMPLATE.replace(
  "defaults\n",
  "defaults\n    no-such-directive on\n",
);

describe.skipIf(skip)("the lab's fleet of 3 HAProxy edges flips all-or-nothing", { timeout: 120_000 }, () => {
  let d: LabFleetDrivers;
  const dir = scratchDir();
  const locks = join(dir, "locks");
  let serial = 0;
  const runId = (label: string) => `fleet-${label}-${process.pid}-${++serial}`;
  const lock = () => lockAhead(locks, CHILD_TTL_MS + 1_000);
  const sw = (edge: LabEdge) => d.edges[edge.name] as TrafficSwitch;

  beforeAll(async () => {
    await (await upLab()).host.close();
    d = labFleetDrivers({ markerPath: join(dir, "fleet.degraded") })._unsafeUnwrap();
    (await resetLabFleet(d))._unsafeUnwrap();
  }, 300_000);

  afterAll(async () => {
    if (!d) return;
    (await resetLabFleet(d))._unsafeUnwrap();
    await d.host.close();
  });

  /** What one edge's public URL answers right now (one attempt), or `null`. */
  async function answerOf(
    edge: LabEdge,
  ): Promise<{ color: string; sha: string | null; status: string } | null> {
    const r = await d.probe.check({ url: labEdgeHealthUrl(edge, d.topology), attempts: 1 });
    return r.isOk()
      ? (JSON.parse(r.value.body) as { color: string; sha: string | null; status: string })
      : null;
  }

  /** Every edge as it is now: its live `haproxy.cfg`, live revision, state file and public answer. */
  async function fleetView() {
    return Promise.all(
      LAB_EDGES.map(async (edge) => ({
        edge: edge.name,
        config: decoder.decode(
          (await d.host.pullFile(edge.container, LAB_HAPROXY.configPath))._unsafeUnwrap(),
        ),
        live: (await sw(edge).liveRevision())._unsafeUnwrap(),
        state: (await sw(edge).readState())._unsafeUnwrap(),
        answer: await answerOf(edge),
      })),
    );
  }

  /**
   * Asserts the fleet converged: on every edge the live config passes `haproxy -c`, the
   * live revision's color, the state file and the history head agree, and the public URL
   * answers healthy from that color with the head's SHA; every edge on the same color; no
   * degraded marker and no lease left. The fleet's color.
   */
  async function expectFleetConverged(l: LeaseLock): Promise<string> {
    const [view, checks] = await Promise.all([
      fleetView(),
      Promise.all(LAB_EDGES.map((edge) => haproxyCheck(d, edge.container))),
    ]);
    for (const [i, e] of view.entries()) {
      expect(checks[i]?.exitCode, `${e.edge}: ${checks[i]?.output}`).toBe(0);
      const head = e.state.history[0];
      expect(e.live?.split(":")[0], e.edge).toBe(e.state.activeColor);
      expect(head?.color, e.edge).toBe(e.state.activeColor);
      expect(e.answer, e.edge).toMatchObject({ status: "ok", color: e.state.activeColor });
      if (head?.sha) expect(e.answer?.sha, e.edge).toBe(head.sha);
    }
    const colors = [...new Set(view.map((e) => e.state.activeColor))];
    expect(colors, view.map((e) => `${e.edge} ${e.state.activeColor}`).join(", ")).toHaveLength(1);
    expect((await d.fleetMarker.read())._unsafeUnwrap()).toBeNull();
    expect((await l.inspect(d.topology.env))._unsafeUnwrap()).toBeNull();
    return colors[0] as string;
  }

  /** Brings a stopped edge back as `lab up` does (start, provision, its public URL answering). */
  async function bringBack(edge: LabEdge): Promise<void> {
    const instances = new IncusInstances();
    const r = await provisionLabEdge(d, instances, edge, () => {});
    await instances.close();
    r._unsafeUnwrap();
  }

  /** The fleet's drivers with edge-2's switch stopping its container first when it installs: killed between prepare and commit. */
  function edge2DiesAtCommit(): LabFleetDrivers {
    const edge = LAB_EDGES[1] as LabEdge;
    const dying: TrafficSwitch = {
      ...sw(edge),
      install: (config, fence) =>
        d.host.stop(edge.container, { force: true }).andThen(() => sw(edge).install(config, fence)),
    };
    return { ...d, edges: { ...d.edges, [edge.name]: dying } } as LabFleetDrivers;
  }

  it("a fleet flip under wrk load on every edge drops no request on any edge", async () => {
    (await resetLabFleet(d))._unsafeUnwrap();
    await underLoadOnEveryEdge(d.topology, dir, 100, async () => {
      for (const color of ["green", "blue"]) {
        const plan = await planned(fleetFlip(d.topology, d, who));
        expect(plan.intent.to).toBe(color);
        const run = await runOnLab(d, dir, plan);
        expect(run.result.isOk() && run.result.value.state, run.postmortem).toBe("succeeded");
        expect(await expectFleetConverged(lock())).toBe(color);
      }
    });
  });

  it("one edge whose candidate fails haproxy -c: refused, no edge changed", async () => {
    (await resetLabFleet(d))._unsafeUnwrap();
    const edge = LAB_EDGES[1] as LabEdge;
    const broken = labTrafficSwitch(d.host, d.topology, { edge, template: UNKNOWN_DIRECTIVE_TEMPLATE });
    const dBroken = { ...d, edges: { ...d.edges, [edge.name]: broken._unsafeUnwrap() } } as LabFleetDrivers;
    const before = await fleetView();
    const run = await runOnLab(dBroken, dir, await planned(fleetFlip(d.topology, dBroken, who)));
    expect(run.result.isErr(), run.postmortem).toBe(true);
    const error = run.result._unsafeUnwrapErr();
    expect(error.message).toContain("edge-2");
    expect(error.message).toContain("no-such-directive");
    expect(await fleetView()).toEqual(before);
    expect(before.map((e) => e.answer?.color)).toEqual(["blue", "blue", "blue"]);
    expect(await expectFleetConverged(lock())).toBe("blue");
  });

  it("one edge killed between prepare and commit: every edge back on the old color", async () => {
    (await resetLabFleet(d))._unsafeUnwrap();
    const edge = LAB_EDGES[1] as LabEdge;
    const before = await fleetView();
    const dying = edge2DiesAtCommit();
    const run = await runOnLab(dying, dir, await planned(fleetFlip(d.topology, dying, who)));
    expect(run.result.isErr(), run.postmortem).toBe(true);
    expect(run.result._unsafeUnwrapErr().message).toContain("edge-2");
    // edge-1 and edge-3 were committed, then put back: their previous config, revision and state
    for (const i of [0, 2]) {
      const e = LAB_EDGES[i] as LabEdge;
      expect((await sw(e).liveRevision())._unsafeUnwrap(), e.name).toBe(before[i]?.live);
      expect((await sw(e).readState())._unsafeUnwrap(), e.name).toEqual(before[i]?.state);
      expect(await answerOf(e), e.name).toMatchObject({ status: "ok", color: "blue" });
    }
    await bringBack(edge);
    expect(await fleetView()).toEqual(before);
    expect((await d.fleetMarker.read())._unsafeUnwrap()).toBeNull();
    expect(await expectFleetConverged(lock())).toBe("blue");
  });

  it("the same kill with allowDegraded acknowledged: the others flip, a marker names edge-2 until converged and cleared", async () => {
    (await resetLabFleet(d))._unsafeUnwrap();
    const edge = LAB_EDGES[1] as LabEdge;
    const dying = edge2DiesAtCommit();
    const plan = await planned(
      fleetFlip(d.topology, dying, { ...who, allowDegraded: { acknowledged: true } }),
    );
    const run = await runOnLab(dying, dir, plan);
    expect(run.result.isOk() && run.result.value.state, run.postmortem).toBe("succeeded");
    const degradedRun = run.result._unsafeUnwrap().runId;
    const marker = (await d.fleetMarker.read())._unsafeUnwrap();
    expect(marker).toMatchObject({ runId: degradedRun, color: "green", lagging: [{ edge: "edge-2" }] });
    await bringBack(edge);
    const answers = await Promise.all(LAB_EDGES.map(answerOf));
    expect(answers.map((a) => a?.color)).toEqual(["green", "blue", "green"]);
    const facts = (await observe(d.topology, d))._unsafeUnwrap();
    expect(facts.fleet?.split).toEqual({ green: ["edge-1", "edge-3"], blue: ["edge-2"] });
    expect(facts.fleet?.degraded?.runId).toBe(degradedRun);
    const decision = decide(facts, {
      symptom: "public-probe-failing",
      onCall: true,
      paged: true,
    })._unsafeUnwrap();
    expect(decision.rule).toBe("converge-fleet");
    // the marker stays while the fleet disagrees
    expect((await clearDegraded(d.topology, d))._unsafeUnwrapErr().reason).toBe("conflict");
    const converge = await runOnLab(
      d,
      dir,
      await planned(fleetFlip(d.topology, d, { ...who, target: "green" })),
    );
    expect(converge.result.isOk() && converge.result.value.state, converge.postmortem).toBe("succeeded");
    expect((await clearDegraded(d.topology, d))._unsafeUnwrap()?.runId).toBe(degradedRun);
    expect(await expectFleetConverged(lock())).toBe("green");
  });

  /** After a kill: resume (or revert) the killed run; the fleet must have converged. */
  async function recover(id: string, exit: ChildExit, mode: "continue" | "revert"): Promise<string> {
    expect(exit.signal, exit.stderr).toBe("SIGKILL");
    const l = lock();
    const resumed = await resumeOnLab(d, dir, id, mode, l);
    const outcome = resumed.isOk() ? resumed.value.state : resumed.error.kind;
    expect(["succeeded", "reverted", "aborted"], resumed.isErr() ? resumed.error.message : "").toContain(
      outcome,
    );
    return expectFleetConverged(l);
  }

  it(`a whole fleet flip journals ${FLEET_RECORDS} records when nothing kills it`, async () => {
    (await resetLabFleet(d))._unsafeUnwrap();
    const child = new LabChild("fleet-flip", dir, runId("whole"), { gate: true, ttlMs: CHILD_TTL_MS });
    const { types, exit } = await child.killAtRecord(Number.POSITIVE_INFINITY);
    expect(exit.code, exit.stderr).toBe(0);
    expect(exit.result?.state).toBe("succeeded");
    expect(types, types.join("\n")).toHaveLength(FLEET_RECORDS);
    expect(types.at(-1)).toBe("plan.finished");
    expect(await expectFleetConverged(lock())).toBe("green");
  });

  it.each(kills)(
    "a fleet flip killed when the journal reaches record $n, then $mode",
    async ({ n, mode }) => {
      const id = runId(`n${n}`);
      const child = new LabChild("fleet-flip", dir, id, { gate: true, ttlMs: CHILD_TTL_MS });
      const { journaled, exit } = await child.killAtRecord(n);
      expect(journaled).toBe(n);
      await recover(id, exit, mode);
    },
  );
});
