import { LocalShell, type TrafficSwitch } from "@backflip/core";
import {
  type ConformanceTarget,
  runTrafficSwitchConformance,
  skipUnlessBackend,
  type TrafficSwitchFixtures,
} from "@backflip/core/testing";
import { commandsOnly, type NginxLabOptions, nginxReady, startNginxLab } from "./support/nginx-lab";

// Ports: front and status servers 18700-18703.
const skip = skipUnlessBackend(nginxReady, "nginx", "bash scripts/backends up nginx");

/** A fresh nginx per test, its confirm bounded to 1.5 s (a wrong revision fails sooner). */
const target = (
  name: string,
  options: NginxLabOptions,
): ConformanceTarget<TrafficSwitch, TrafficSwitchFixtures> => ({
  name,
  skip,
  async setup() {
    const lab = await startNginxLab({ ...options, extra: { confirmTimeoutMs: 1500 } });
    return { port: lab.sw, fixtures: lab.fixtures, teardown: () => lab.stop() };
  },
});

runTrafficSwitchConformance(
  target("nginx (real, LocalShell with files)", { port: 18700, statusPort: 18701, shell: new LocalShell() }),
);
runTrafficSwitchConformance(
  target("nginx (real, commands only)", {
    port: 18702,
    statusPort: 18703,
    shell: commandsOnly(new LocalShell()),
  }),
);
