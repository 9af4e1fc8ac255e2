import { readFile } from "node:fs/promises";
import { HttpHealthProbe, runPlan, type Topology } from "@backflip/core";
import { fastFlip } from "@backflip/core/recipes";
import { skipUnlessBackend } from "@backflip/core/testing";
import { createFleet } from "@backflip/driver-mock";
import { afterEach, describe, expect, it } from "vitest";
import { type NginxLab, nginxReady, startNginxLab } from "./support/nginx-lab";

// Ports: front 18720, status 18721; the color servers listen on ephemeral ports.
const skip = skipUnlessBackend(nginxReady, "nginx", "bash scripts/backends up nginx");
const FRONT = 18720;

/** A stack with only traffic and containers: nginx in front of one `app` per color. */
function nginxTopology(lab: NginxLab): Topology {
  return {
    env: "nginx-lab",
    colors: ["blue", "green"],
    traffic: { ...lab.options.state, historyLimit: 5 },
    containers: { components: ["app"], pattern: "nginx-lab-{component}-{color}", healthPath: "/health" },
    publicHealthUrl: `http://127.0.0.1:${FRONT}/health`,
  };
}

describe.skipIf(skip)("Path 1 (fastFlip) on real nginx", () => {
  let lab: NginxLab | undefined;
  afterEach(async () => {
    await lab?.stop();
    lab = undefined;
  });

  it("flips to the other color and back: nginx really routes there, the state and history follow", async () => {
    lab = await startNginxLab({ port: FRONT, statusPort: 18721, colorServers: true });
    const topology = nginxTopology(lab);
    // The containers and the probe's answers for them come from the simulated fleet; the public URL is nginx.
    const fleet = createFleet({ topology, clock: "realtime", probeFallback: new HttpHealthProbe() });
    const drivers = { host: fleet.drivers.host, probe: fleet.drivers.probe, traffic: lab.sw };
    expect(await lab.get()).toBe("200 blue");

    for (const [to, from] of [
      ["green", "blue"],
      ["blue", "green"],
    ] as const) {
      const plan = (
        await fastFlip(topology, drivers, { actor: "alice", reason: `back to ${to}` })
      )._unsafeUnwrap();
      expect(plan.intent).toMatchObject({ path: "fast-flip", from, to });
      const dryRun = plan.render();
      expect(dryRun).toMatch(/\$ \/usr\/sbin\/nginx -p \S+ -t -q -c /);
      expect(dryRun).toMatch(/\$ \/usr\/sbin\/nginx -p \S+ -c \S+ -s reload/);
      expect(dryRun).not.toMatch(/haproxy/i);

      const report = (
        await runPlan(plan, { journal: fleet.journal, lock: fleet.lock, owner: "test" })
      )._unsafeUnwrap();
      expect(report.state).toBe("succeeded");
      expect(await lab.get()).toBe(`200 ${to}`);
      expect(await readFile(lab.options.state.stateFile, "utf8")).toBe(`${to}\n`);
      const state = (await lab.sw.readState())._unsafeUnwrap();
      expect(state.history[0]).toMatchObject({ color: to, runId: report.runId, actor: "alice" });
      expect((await lab.sw.liveRevision())._unsafeUnwrap()).toContain(`${to}:`);
    }
  });

  it("refuses with the Path 2 hint when a target container is not RUNNING, and nginx keeps routing", async () => {
    lab = await startNginxLab({ port: FRONT, statusPort: 18721, colorServers: true });
    const topology = nginxTopology(lab);
    const fleet = createFleet({ topology, clock: "realtime", probeFallback: new HttpHealthProbe() });
    fleet.world.setStatus("nginx-lab-app-green", "Stopped")._unsafeUnwrap();
    const drivers = { host: fleet.drivers.host, probe: fleet.drivers.probe, traffic: lab.sw };
    const include = await readFile(lab.includeFile, "utf8");
    const plan = (await fastFlip(topology, drivers, { actor: "alice", reason: "green" }))._unsafeUnwrap();
    const error = (
      await runPlan(plan, { journal: fleet.journal, lock: fleet.lock, owner: "test" })
    )._unsafeUnwrapErr();
    expect(error.kind).toBe("refused");
    expect(error.report?.error?.hint).toContain("Path 2");
    expect(await readFile(lab.includeFile, "utf8")).toBe(include);
    expect(await lab.get()).toBe("200 blue");
  });
});
