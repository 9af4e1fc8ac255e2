import { readdir, readFile, writeFile } from "node:fs/promises";
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

function target(
  name: string,
  options: NginxLabOptions,
): ConformanceTarget<TrafficSwitch, TrafficSwitchFixtures> {
  return {
    name,
    skip,
    async setup() {
      const lab = await startNginxLab({ ...options, extra: { confirmTimeoutMs: 1500, ...options.extra } });
      return {
        port: lab.sw,
        fixtures: {
          activeColor: "blue",
          switchTo: {
            color: "green",
            sha: "0123456789abcdef0123456789abcdef01234567",
            runId: "x",
            actor: "conformance",
          },
          readLive: () => readFile(lab.includeFile, "utf8"),
          listBesideLive: () => readdir(lab.dir),
          writePrevious: (content) => writeFile(`${lab.includeFile}.prev`, content),
          historyLimit: 5,
        },
        teardown: () => lab.stop(),
      };
    },
  };
}

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
