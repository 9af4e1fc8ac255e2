import { renderAction } from "@backflip/core";
import { trafficSwitchSteps } from "@backflip/core/recipes";
import { recordingShell } from "@backflip/core/testing/fakes";
import { describe, expect, it } from "vitest";
import { createHaproxySwitch, type HaproxySwitchOptions } from "../src/index";

const where = { kind: "incus", instance: "veza-staging-haproxy" } as const;
const options = (overrides: Partial<HaproxySwitchOptions> = {}): HaproxySwitchOptions => ({
  shell: recordingShell(() => ({}), { name: "incus:veza-staging-haproxy", location: where }),
  env: "staging",
  colors: ["blue", "green"],
  components: ["web"],
  configPath: "/etc/haproxy/haproxy.cfg",
  healthPath: "/health",
  state: {
    stateFile: "/var/lib/veza/active-color",
    historyFile: "/var/lib/veza/active-color.history",
    historyLimit: 50,
  },
  servers: { web: { blue: "10.0.0.1:80", green: "10.0.1.1:80" } },
  ...overrides,
});
const candidate = "/etc/haproxy/.haproxy.cfg.backflip-<hash>.new";

describe("createHaproxySwitch dry runs", () => {
  it("reload mode: the flip's steps describe haproxy -c on the candidate, the reload and the revision asked, where HAProxy runs", () => {
    const sw = createHaproxySwitch(options())._unsafeUnwrap();
    const lines = trafficSwitchSteps(sw, { color: "green", actor: "ops" }).flatMap((step) =>
      step.describe().map(renderAction),
    );
    expect(lines).toContain(`incus exec veza-staging-haproxy -- haproxy -c -f '${candidate}'`);
    expect(lines.join("\n")).not.toMatch(/nginx/);
    expect(sw.describe("activate", { color: "green" })).toEqual([
      { kind: "file", op: "write", where, path: "/etc/haproxy/haproxy.cfg.prev" },
      { kind: "file", op: "rename", where, path: candidate, to: "/etc/haproxy/haproxy.cfg" },
      { kind: "file", op: "read", where, path: "/run/haproxy.pid" },
      { kind: "note", text: "kill -USR2 <pid> of HAProxy's master from /run/haproxy.pid" },
      {
        kind: "exec",
        where,
        argv: ["socat", "-", "UNIX-CONNECT:/run/haproxy/admin.sock"],
        stdin: "get var proc.cfg_rev\n",
      },
    ]);
    const systemd = createHaproxySwitch(
      options({ reload: { method: "systemctl", unit: "haproxy.service" } }),
    );
    expect(systemd._unsafeUnwrap().describe("activate", { color: "green" })).toContainEqual({
      kind: "exec",
      where,
      argv: ["systemctl", "reload", "haproxy.service"],
    });
  });

  it("map mode: the runtime API requests through socat, no haproxy -c and no reload", () => {
    const sw = createHaproxySwitch(options({ mode: "map" }))._unsafeUnwrap();
    const actions = [
      ...sw.describe("validate", { color: "green" }),
      ...sw.describe("activate", { color: "green" }),
    ];
    const stdin = actions.flatMap((a) => (a.kind === "exec" ? [a.stdin ?? ""] : []));
    expect(stdin).toEqual([
      "show backend;show map\n",
      "prepare map /etc/haproxy/backflip-color.map\n",
      "add map @<version> /etc/haproxy/backflip-color.map <component> <backend>;…\n",
      "commit map @<version> /etc/haproxy/backflip-color.map\n",
      "show map /etc/haproxy/backflip-color.map\n",
    ]);
    expect(actions.some((a) => a.kind === "exec" && a.argv[0] === "haproxy")).toBe(false);
  });
});
