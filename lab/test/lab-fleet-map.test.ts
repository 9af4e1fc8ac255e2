import { join } from "node:path";
import { driverError, type TrafficSwitch } from "@backflip/core";
import { fleetFlip } from "@backflip/core/recipes";
import { errAsync, ResultAsync } from "neverthrow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { canonicalTrafficState } from "../src/lab-canonical";
import { labTrafficSwitch } from "../src/lab-drivers";
import { type LabFleetDrivers, labFleetDrivers, resetLabFleet } from "../src/lab-fleet";
import { labFleetToMapMode, labFleetToReloadMode } from "../src/lab-haproxy-mode";
import { resetLabTraffic } from "../src/lab-reset";
import { LAB_EDGES, type LabEdge, labEdgeHealthUrl } from "../src/lab-settings";
import { planned, runOnLab, scratchDir, upLab } from "./lab-support";
import { skipUnlessLabAndWrk as skip, underLoadOnEveryEdge } from "./under-load-on-every-edge";

const who = { actor: "lab-fleet-map", reason: "the lab's runtime-map fleet tests" };
const colorOf = (revision: string | null) => revision?.split(":")[0] ?? null;

describe.skipIf(skip)(
  "the lab's fleet of 3 HAProxy edges in runtime-map mode flips all-or-nothing",
  {
    timeout: 120_000,
  },
  () => {
    /** The fleet in reload mode (how the lab is before and after this file), and in map mode. */
    let reload: LabFleetDrivers;
    let d: LabFleetDrivers;
    const dir = scratchDir();
    const sw = (edge: LabEdge) => d.edges[edge.name] as TrafficSwitch;

    beforeAll(async () => {
      await (await upLab()).host.close();
      reload = labFleetDrivers({ markerPath: join(dir, "fleet.degraded") })._unsafeUnwrap();
      (await resetLabFleet(reload))._unsafeUnwrap();
      (await labFleetToMapMode(reload.host, reload.topology))._unsafeUnwrap();
      d = labFleetDrivers({ markerPath: join(dir, "fleet.degraded"), mode: "map" })._unsafeUnwrap();
    }, 300_000);

    afterAll(async () => {
      if (!reload) return;
      (await labFleetToReloadMode(reload.host, reload.topology))._unsafeUnwrap();
      (await resetLabFleet(reload))._unsafeUnwrap();
      await reload.host.close();
      await d?.host.close();
    }, 120_000);

    /** Every edge's map back on the canonical color (pushed only where another is live), with the canonical state. */
    async function resetMapFleet(): Promise<void> {
      const canonical = canonicalTrafficState();
      (
        await ResultAsync.combine(LAB_EDGES.map((edge) => resetLabTraffic(sw(edge), canonical)))
      )._unsafeUnwrap();
    }

    /** What one edge's public URL answers right now (one attempt), or `null`. */
    async function answerOf(edge: LabEdge): Promise<{ color: string; sha: string | null } | null> {
      const r = await d.probe.check({ url: labEdgeHealthUrl(edge, d.topology), attempts: 1 });
      return r.isOk() ? (JSON.parse(r.value.body) as { color: string; sha: string | null }) : null;
    }

    /** Every edge as it is now: `show map`'s revision, the map file's, its state file and public answer. */
    async function fleetView() {
      return Promise.all(
        LAB_EDGES.map(async (edge) => ({
          edge: edge.name,
          live: (await sw(edge).liveRevision())._unsafeUnwrap(),
          installed: (await sw(edge).installedRevision())._unsafeUnwrap(),
          state: (await sw(edge).readState())._unsafeUnwrap(),
          answer: await answerOf(edge),
        })),
      );
    }

    /** Asserts every edge serves `color`: `show map`, the map file, the state file and the public probe agree. */
    async function expectEveryEdgeOn(color: string): Promise<void> {
      for (const e of await fleetView()) {
        expect(colorOf(e.live), e.edge).toBe(color);
        expect(e.installed, e.edge).toBe(e.live);
        expect(e.state.activeColor, e.edge).toBe(color);
        expect(e.answer?.color, e.edge).toBe(color);
        if (e.state.history[0]?.sha) expect(e.answer?.sha, e.edge).toBe(e.state.history[0].sha);
      }
      expect((await d.fleetMarker.read())._unsafeUnwrap()).toBeNull();
    }

    it("a fleet flip under wrk load on every edge drops no request, and every edge's show map and probe agree", async () => {
      await resetMapFleet();
      await underLoadOnEveryEdge(d.topology, dir, 60, async () => {
        for (const color of ["green", "blue"]) {
          const plan = await planned(fleetFlip(d.topology, d, who));
          expect(plan.intent.to).toBe(color);
          const run = await runOnLab(d, dir, plan);
          expect(run.result.isOk() && run.result.value.state, run.postmortem).toBe("succeeded");
          await expectEveryEdgeOn(color);
        }
      });
    });

    it("one edge whose map names a backend its running HAProxy lacks: refused at prepare, no edge changed", async () => {
      await resetMapFleet();
      const edge = LAB_EDGES[1] as LabEdge;
      // A component more than the running map-mode config declares: its map routes to be_ghost_green.
      const containers = {
        ...d.topology.containers,
        components: [...d.topology.containers.components, "ghost"],
      };
      const ghost = labTrafficSwitch(d.host, { ...d.topology, containers }, { edge, mode: "map" });
      const dBroken = { ...d, edges: { ...d.edges, [edge.name]: ghost._unsafeUnwrap() } } as LabFleetDrivers;
      const before = await fleetView();
      const run = await runOnLab(dBroken, dir, await planned(fleetFlip(d.topology, dBroken, who)));
      expect(run.result.isErr(), run.postmortem).toBe(true);
      const error = run.result._unsafeUnwrapErr();
      expect(error.message).toContain("edge-2");
      expect(error.message).toContain("no backend be_ghost_green");
      expect(run.events.some((e) => e.type === "step.started" && e.stepId === "commit-edges")).toBe(false);
      expect(await fleetView()).toEqual(before);
      await expectEveryEdgeOn("blue");
    });

    it("one edge whose push is refused at commit: the committed edges are put back, every edge on the old color", async () => {
      await resetMapFleet();
      const edge = LAB_EDGES[1] as LabEdge;
      const real = sw(edge);
      let refused = false;
      // Its candidate installed, then its first push refused (as when its stats socket is gone); later pushes go through.
      const refusing: TrafficSwitch = {
        ...real,
        reload: (fence) => {
          if (refused) return real.reload(fence);
          refused = true;
          return errAsync(
            driverError({
              driver: "haproxy",
              op: "reload",
              reason: "unavailable",
              message: "the stats socket refused the connection (the test's fault)",
            }),
          );
        },
      };
      const dRefusing = { ...d, edges: { ...d.edges, [edge.name]: refusing } } as LabFleetDrivers;
      const before = await fleetView();
      const run = await runOnLab(dRefusing, dir, await planned(fleetFlip(d.topology, dRefusing, who)));
      expect(run.result.isErr(), run.postmortem).toBe(true);
      expect(run.result._unsafeUnwrapErr().message).toContain("edge edge-2: the stats socket refused");
      expect(refused).toBe(true);
      // edge-1 and edge-3 served green after their commit map, then were put back
      const logs = run.events.flatMap((e) => (e.type === "step.log" ? [e.message] : []));
      expect(logs.join("\n")).toMatch(/putting back edge-1, edge-2, edge-3/);
      expect(await fleetView()).toEqual(before);
      await expectEveryEdgeOn("blue");
    });
  },
);
