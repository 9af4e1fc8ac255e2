import type { Shell } from "@backflip/core";
import type { NginxSwitchOptions } from "../../src/index";

/** Options of a switch on paper (no nginx runs): nginx under /etc/nginx, one upstream `app`, through `shell`. */
export function paperOptions(shell: Shell, extra: Partial<NginxSwitchOptions> = {}): NginxSwitchOptions {
  return {
    shell,
    colors: ["blue", "green"],
    upstreams: { app: { blue: "10.0.0.2:8080", green: ["10.0.0.3:8080", "10.0.0.4:8080"] } },
    includeFile: "/etc/nginx/backflip/upstreams.conf",
    mainConfig: "/etc/nginx/nginx.conf",
    statusListen: "127.0.0.1:8091",
    state: {
      stateFile: "/var/lib/backflip/active-color",
      historyFile: "/var/lib/backflip/active-color.history",
    },
    ...extra,
  };
}
