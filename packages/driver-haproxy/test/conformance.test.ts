import { dirname } from "node:path";
import { LocalShell, type TrafficSwitch } from "@backflip/core";
import {
  type ConformanceTarget,
  runTrafficSwitchConformance,
  skipUnlessBackend,
  type TrafficSwitchFixtures,
} from "@backflip/core/testing";
import { commandsOnly, haproxyReady, type LabOptions, startLab } from "./support/lab";

/** A unix socket of the lab's HAProxy, or the temporary name HAProxy gives one while binding it. */
const HAPROXY_SOCKET_FILE = /\.sock(\.\d+\.(tmp|bak))?$/;

// Ports: frontends 18400-18403; server addresses 18410-18417 (never listened on here).
const skip = skipUnlessBackend(haproxyReady, "haproxy", "scripts/backends up haproxy");

function target(name: string, options: LabOptions): ConformanceTarget<TrafficSwitch, TrafficSwitchFixtures> {
  return {
    name,
    skip,
    async setup() {
      const lab = await startLab({ ...options, extra: { confirmTimeoutMs: 1500, ...options.extra } });
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
          readLive: () => lab.read(lab.sw.livePath),
          // The lab's sockets share the config's directory, and HAProxy binding one (at start,
          // at a reload) leaves `<socket>.<pid>.tmp`/`.bak` there a moment: its files, not the switch's.
          listBesideLive: async () =>
            (await lab.list(dirname(lab.sw.livePath))).filter((name) => !HAPROXY_SOCKET_FILE.test(name)),
          writePrevious: (content) => lab.write(`${lab.sw.livePath}.prev`, content),
          historyLimit: lab.options.state.historyLimit,
        },
        teardown: () => lab.stop(),
      };
    },
  };
}

runTrafficSwitchConformance(
  target("haproxy reload mode (real, LocalShell with files)", {
    port: 18400,
    serverPorts: { blue: 18410, green: 18411 },
    shell: new LocalShell(),
  }),
);
runTrafficSwitchConformance(
  target("haproxy reload mode (real, commands only, master CLI reload)", {
    port: 18401,
    serverPorts: { blue: 18412, green: 18413 },
    shell: commandsOnly(new LocalShell()),
    reload: (paths) => ({ method: "master-cli", socket: paths.masterSocket }),
  }),
);
runTrafficSwitchConformance(
  target("haproxy map mode (real, LocalShell, direct socket)", {
    port: 18402,
    serverPorts: { blue: 18414, green: 18415 },
    mode: "map",
    directSocket: true,
  }),
);
runTrafficSwitchConformance(
  target("haproxy map mode (real, commands only, socat)", {
    port: 18403,
    serverPorts: { blue: 18416, green: 18417 },
    mode: "map",
    shell: commandsOnly(new LocalShell()),
    components: ["backend", "web"],
    extra: { routes: { backend: "/api/" } },
  }),
);
