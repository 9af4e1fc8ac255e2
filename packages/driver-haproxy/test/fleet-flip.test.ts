import { readFile } from "node:fs/promises";
import { driverError, type RollbackPlan, runPlan, type TrafficSwitch } from "@backflip/core";
import { fleetFlip, observe, vezaTopology } from "@backflip/core/recipes";
import { skipUnlessBackend } from "@backflip/core/testing";
import { createFleet } from "@backflip/driver-mock";
import { errAsync } from "neverthrow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type NginxLab, nginxReady, startNginxLab } from "../../driver-nginx/test/support/nginx-lab";
import { DEFAULT_HAPROXY_TEMPLATE } from "../src/index";
import { haproxyReady, type Lab, startLab } from "./support/lab";

// Mixed drivers: HAProxy in map mode, HAProxy in reload mode, nginx.
// Ports: HAProxy frontends 18490-18491, the shared app servers 18496 (blue) and 18497 (green);
// nginx front 18790, status 18791.
const skip =
  skipUnlessBackend(haproxyReady, "haproxy", "bash scripts/backends up haproxy") ||
  skipUnlessBackend(nginxReady, "nginx", "bash scripts/backends up nginx");
const APP = { blue: 18496, green: 18497 };
const EDGES = ["haproxy-1", "haproxy-2", "nginx-1"] as const;
const who = { actor: "alice", reason: "fleet flip on real proxies" };

/** A user template that renders a directive HAProxy does not know when `vars.broken` is set. */
const template = DEFAULT_HAPROXY_TEMPLATE.replace(
  "defaults\n",
  "defaults\n{{#if vars.broken}}\n    no-such-directive on\n{{/if}}\n",
);

describe.skipIf(skip)("a fleet of 2 real HAProxy and 1 real nginx flips all-or-nothing", () => {
  let h1: Lab;
  let h2: Lab;
  let n1: NginxLab;
  // the simulated fleet stands in for the container host and the public probe only
  const sim = createFleet({ topology: vezaTopology("staging") });
  const topology = { ...sim.topology, traffic: { ...sim.topology.traffic, edges: [...EDGES] } };

  beforeAll(async () => {
    h1 = await startLab({ port: 18490, serverPorts: APP, httpServers: true, mode: "map" });
    h2 = await startLab({ port: 18491, serverPorts: APP, extra: { template, vars: { broken: false } } });
    n1 = await startNginxLab({
      port: 18790,
      statusPort: 18791,
      extra: { upstreams: { app: { blue: `127.0.0.1:${APP.blue}`, green: `127.0.0.1:${APP.green}` } } },
    });
  });
  afterAll(async () => {
    await Promise.all([h1?.stop(), h2?.stop(), n1?.stop()]);
  });

  const drivers = (edges: Record<(typeof EDGES)[number], TrafficSwitch>) => ({ ...sim.drivers, edges });
  const served = async () => [await h1.get(), await h2.get(), await n1.get()];
  const files = async () =>
    Promise.all([
      readFile(h1.paths.configPath, "utf8"),
      readFile(h1.paths.mapFile, "utf8"),
      readFile(h1.paths.stateFile, "utf8"),
      readFile(h2.paths.configPath, "utf8"),
      readFile(h2.paths.stateFile, "utf8"),
      readFile(n1.includeFile, "utf8"),
      readFile(n1.options.state.stateFile, "utf8"),
    ]);
  const run = (plan: RollbackPlan) =>
    runPlan(plan, { journal: sim.journal, lock: sim.lock, owner: "test", now: () => new Date() });

  it("one edge whose candidate fails validation: refused, all three unchanged", async () => {
    const broken = h2.driver({ template, vars: { broken: true } });
    const d = drivers({ "haproxy-1": h1.sw, "haproxy-2": broken, "nginx-1": n1.sw });
    const before = await files();
    const reloads = [await h1.reloads(), await h2.reloads()];
    const plan = (await fleetFlip(topology, d, who))._unsafeUnwrap();
    const error = (await run(plan))._unsafeUnwrapErr();
    expect(error.message).toContain("haproxy-2");
    expect(error.message).toContain("no-such-directive");
    expect(await files()).toEqual(before);
    expect([await h1.reloads(), await h2.reloads()]).toEqual(reloads);
    expect(await served()).toEqual(["200 blue", "200 blue", "200 blue"]);
  });

  it("one edge's commit fails: the edges already committed are put back", async () => {
    let failures = 1;
    // nginx's first reload fails (as if its master had gone); the put-back reload works
    const flaky: TrafficSwitch = {
      ...n1.sw,
      reload: (fence) =>
        failures-- > 0
          ? errAsync(
              driverError({ driver: "nginx", op: "reload", reason: "unavailable", message: "no master" }),
            )
          : n1.sw.reload(fence),
    };
    const d = drivers({ "haproxy-1": h1.sw, "haproxy-2": h2.sw, "nginx-1": flaky });
    const states = [
      await readFile(h1.paths.stateFile, "utf8"),
      await readFile(h2.paths.stateFile, "utf8"),
      await readFile(n1.options.state.stateFile, "utf8"),
    ];
    const reloads = await h2.reloads();
    const error = (await run((await fleetFlip(topology, d, who))._unsafeUnwrap()))._unsafeUnwrapErr();
    expect(error.message).toContain("nginx-1");
    // flipped, then put back once that reload landed (a USR2 sent while the master still
    // re-executes is dropped): two reloads, and the answers below prove the put-back took
    expect(await h2.reloads()).toBeGreaterThanOrEqual(reloads + 2);
    expect(await served()).toEqual(["200 blue", "200 blue", "200 blue"]);
    expect([
      await readFile(h1.paths.stateFile, "utf8"),
      await readFile(h2.paths.stateFile, "utf8"),
      await readFile(n1.options.state.stateFile, "utf8"),
    ]).toEqual(states);
  });

  it("flips all three edges to green, then back to blue", async () => {
    const d = drivers({ "haproxy-1": h1.sw, "haproxy-2": h2.sw, "nginx-1": n1.sw });
    for (const color of ["green", "blue"]) {
      const plan = (await fleetFlip(topology, d, who))._unsafeUnwrap();
      expect(plan.intent.to).toBe(color);
      expect((await run(plan))._unsafeUnwrap().state).toBe("succeeded");
      expect(await served()).toEqual([`200 ${color}`, `200 ${color}`, `200 ${color}`]);
      const facts = (await observe(topology, d))._unsafeUnwrap();
      expect(facts.fleet?.split).toBeNull();
      expect(facts.fleet?.edges.map((e) => e.activeColor)).toEqual([color, color, color]);
    }
  });
});
