import { recordingShell } from "@backflip/core/testing/fakes";
import { describe, expect, it } from "vitest";
import { createHaproxySwitch, DEFAULT_HAPROXY_TEMPLATE, type HaproxySwitchOptions } from "../src/index";
import { parseMapFile } from "../src/map-file";

/** The staging stack's colors, components and paths. */
const stack = {
  env: "staging",
  colors: ["blue", "green"],
  components: ["backend", "stream", "web"],
  configPath: "/etc/haproxy/haproxy.cfg",
  healthPath: "/api/v1/health",
  state: {
    stateFile: "/var/lib/veza/active-color",
    historyFile: "/var/lib/veza/active-color.history",
    historyLimit: 50,
  },
};
const servers = {
  backend: { blue: "10.0.0.1:8080", green: "10.0.1.1:8080" },
  stream: { blue: "10.0.0.2:8081", green: "10.0.1.2:8081" },
  web: { blue: ["10.0.0.3:80", "10.0.0.4:80"], green: "10.0.1.3:80" },
};
const request = {
  color: "green",
  sha: "abcdef0123456789abcdef0123456789abcdef01",
  runId: "run-7",
  actor: "ops",
};

function make(overrides: Partial<HaproxySwitchOptions> = {}) {
  const shell = recordingShell();
  return { shell, result: createHaproxySwitch({ shell, ...stack, servers, ...overrides }) };
}

describe("createHaproxySwitch options", () => {
  it("names a missing server address for a component and color", () => {
    const { result } = make({ servers: { ...servers, web: { blue: "10.0.0.3:80" } } });
    const error = result._unsafeUnwrapErr();
    expect(error.reason).toBe("invalid_input");
    expect(error.message).toContain("servers.web.green");
  });

  it("rejects a component or color the stack does not have", () => {
    const { result } = make({ servers: { ...servers, api: { blue: "1.2.3.4:1", green: "1.2.3.4:2" } } });
    expect(result._unsafeUnwrapErr().message).toContain("servers.api");
    expect(make({ routes: { nope: "/x/" } }).result._unsafeUnwrapErr().message).toContain("routes.nope");
  });

  it("refuses a route prefix with a '..' segment and a systemd unit that reads as an option (issue 17 property test)", () => {
    const route = make({ routes: { backend: "/api/../../admin/" } }).result._unsafeUnwrapErr();
    expect(route).toMatchObject({ reason: "invalid_input" });
    expect(route.message).toContain("routes.backend");
    for (const unit of ["..", "-x", ".hidden"]) {
      const error = make({ reload: { method: "systemctl", unit } }).result._unsafeUnwrapErr();
      expect(error).toMatchObject({ reason: "invalid_input" });
      expect(error.message).toContain("reload");
    }
    expect(make({ routes: { backend: "/api/" } }).result.isOk()).toBe(true);
  });

  it("rejects drain outside runtime-map mode, and socket paths HAProxy's address syntax would misread", () => {
    expect(make({ drain: true }).result._unsafeUnwrapErr().message).toContain("drain");
    expect(make({ statsSocket: "/run/a,b.sock" }).result._unsafeUnwrapErr().message).toContain("statsSocket");
    expect(make({ mapFile: "relative.map" }).result._unsafeUnwrapErr().message).toContain("mapFile");
  });

  it("refuses a health path that would add a line to haproxy.cfg (issue 17, finding 4)", () => {
    const healthPath = "/api/v1/health\n    stats socket /tmp/evil.sock mode 666 level admin";
    const error = make({ healthPath }).result._unsafeUnwrapErr();
    expect(error).toMatchObject({ reason: "invalid_input", op: "create" });
    expect(error.message).toContain("healthPath");
    for (const bad of ["/h\r", "/h\u202e", "/h\u2028", "/h;x", "/a/../h"])
      expect(make({ healthPath: bad }).result._unsafeUnwrapErr().message).toContain("healthPath");
  });

  it("the default map file is beside the config, a plain path checked like a given one (issue 17, finding 4)", () => {
    const mapMode = (configPath: string) => make({ mode: "map", configPath }).result;
    expect(mapMode("/etc/haproxy/haproxy.cfg")._unsafeUnwrap().livePath).toBe(
      "/etc/haproxy/backflip-color.map",
    );
    expect(mapMode("/haproxy.cfg")._unsafeUnwrap().livePath).toBe("/backflip-color.map");
    for (const configPath of ["/etc/haproxy;disable frontend fe/haproxy.cfg", "/etc/haproxy\n/x.cfg"]) {
      const error = mapMode(configPath)._unsafeUnwrapErr();
      expect(error).toMatchObject({ reason: "invalid_input", op: "create" });
      expect(error.message).toContain("configPath");
    }
  });

  it("a template with a missing variable, a syntax error or no revision stamp fails at construction", () => {
    const missing = make({
      template: "global\n    set-var proc.cfg_rev str({{revision}})\n    {{vars.nope}}\n",
    });
    expect(missing.result._unsafeUnwrapErr()).toMatchObject({ reason: "invalid_input", op: "create" });
    expect(missing.result._unsafeUnwrapErr().message).toContain("nope");
    expect(make({ template: "{{#if revision}}" }).result._unsafeUnwrapErr().reason).toBe("invalid_input");
    const unstamped = make({ template: "global\n    maxconn 10\n" }).result._unsafeUnwrapErr();
    expect(unstamped.message).toContain("revision");
    expect(unstamped.hint).toContain("set-var proc.cfg_rev");
    // Nothing ran on the HAProxy host.
    expect(missing.shell.calls).toEqual([]);
  });
});

describe("rendering", () => {
  it("the default template stamps the revision and declares every component in every color", async () => {
    const sw = make({
      routes: { backend: "/api/", stream: "/stream/" },
      binds: ["127.0.0.1:8080"],
    }).result._unsafeUnwrap();
    const config = (await sw.render(request))._unsafeUnwrap();
    expect(config.revision).toBe(`green:${request.sha}:run-7`);
    expect(config.content).toContain(`    set-var proc.cfg_rev str(${config.revision})\n`);
    expect(config.content).toContain("    master-worker\n");
    expect(config.content).toContain(
      "    stats socket /run/haproxy/admin.sock mode 660 level admin expose-fd listeners\n",
    );
    expect(config.content).toContain("    bind 127.0.0.1:8080\n");
    expect(config.content).toContain("    use_backend be_backend_green if is_backend\n");
    expect(config.content).toContain("    use_backend be_stream_green if is_stream\n");
    expect(config.content).toContain("    default_backend be_web_green\n");
    for (const component of stack.components) {
      for (const color of stack.colors)
        expect(config.content).toContain(`\nbackend be_${component}_${color}\n`);
    }
    expect(config.content).toContain("    server blue2 10.0.0.4:80 check");
    expect(config.content).toContain("    option httpchk GET /api/v1/health\n");
    expect(config.content).not.toMatch(/&#|&amp;/);
    expect(config.content).not.toContain("httpclient.ssl.ca-file");
    const tuned = make({ httpClientCaFile: "/etc/ssl/certs/ISRG_Root_X1.pem" }).result._unsafeUnwrap();
    expect((await tuned.render(request))._unsafeUnwrap().content).toContain(
      "    httpclient.ssl.ca-file /etc/ssl/certs/ISRG_Root_X1.pem\n",
    );
  });

  it("runtime-map mode renders the map, and a config that looks the backend up in it", async () => {
    const sw = make({
      mode: "map",
      routes: { backend: "/api/" },
      mapFile: "/etc/haproxy/color.map",
    }).result._unsafeUnwrap();
    const map = (await sw.render(request))._unsafeUnwrap();
    expect(map.content).toContain(`backflip.revision ${map.revision}\n`);
    expect(map.content).toContain("backend be_backend_green\nstream be_stream_green\nweb be_web_green\n");
    const parsed = parseMapFile(map.content, "test")._unsafeUnwrap();
    expect(parsed.revision).toBe(map.revision);
    const config = (await sw.renderConfigFile(request))._unsafeUnwrap();
    expect(config.content).toContain(
      "    use_backend %[str(backend),map(/etc/haproxy/color.map,be_backend_green)] if is_backend\n",
    );
    expect(config.content).toContain(
      "    use_backend %[str(web),map(/etc/haproxy/color.map,be_web_green)]\n",
    );
    expect(sw.livePath).toBe("/etc/haproxy/color.map");
  });

  it("bad requests are invalid_input and run nothing", async () => {
    const { shell, result } = make();
    const sw = result._unsafeUnwrap();
    for (const bad of [
      { ...request, color: "purple" },
      { ...request, runId: "has space" },
      { ...request, sha: "XYZ" },
      { ...request, actor: "two\nlines" },
    ]) {
      expect((await sw.render(bad))._unsafeUnwrapErr().reason).toBe("invalid_input");
      expect((await sw.record(bad))._unsafeUnwrapErr().reason).toBe("invalid_input");
    }
    expect((await sw.writeState({ activeColor: "purple", history: [] }))._unsafeUnwrapErr().reason).toBe(
      "invalid_input",
    );
    const config = (await sw.render(request))._unsafeUnwrap();
    expect((await sw.install({ ...config, content: "global\n" }))._unsafeUnwrapErr().reason).toBe(
      "invalid_input",
    );
    expect((await sw.validate({ ...config, color: "red" }))._unsafeUnwrapErr().reason).toBe("invalid_input");
    expect((await sw.confirm("two words"))._unsafeUnwrapErr().reason).toBe("invalid_input");
    expect(shell.calls).toEqual([]);
  });
});

describe("reload methods and transports, as the commands they run", () => {
  it("systemctl reload runs `systemctl reload <unit>`", async () => {
    const { shell, result } = make({ reload: { method: "systemctl", unit: "haproxy.service" } });
    (await result._unsafeUnwrap().reload())._unsafeUnwrap();
    expect(shell.calls.map((c) => c.argv)).toEqual([["systemctl", "reload", "haproxy.service"]]);
  });

  it("a failing systemctl reload is failed with the unit's message and a journalctl hint", async () => {
    const shell = recordingShell(() => ({ exitCode: 1, stderr: "Job for haproxy.service failed." }));
    const sw = createHaproxySwitch({
      shell,
      ...stack,
      servers,
      reload: { method: "systemctl", unit: "haproxy.service" },
    })._unsafeUnwrap();
    const error = (await sw.reload())._unsafeUnwrapErr();
    expect(error).toMatchObject({ reason: "failed", op: "reload" });
    expect(error.message).toContain("Job for haproxy.service failed.");
    expect(error.hint).toContain("journalctl -u haproxy.service");
  });

  it("signal reload checks the pid is haproxy before `kill -USR2`, and never signals a stranger", async () => {
    const answers = (comm: string) => (argv: readonly string[]) =>
      argv[2] === "/run/haproxy.pid"
        ? { stdout: "4242\n" }
        : argv[2] === "/proc/4242/comm"
          ? { stdout: comm }
          : {};
    const good = recordingShell(answers("haproxy\n"));
    const sw = createHaproxySwitch({ shell: good, ...stack, servers })._unsafeUnwrap();
    (await sw.reload())._unsafeUnwrap();
    expect(good.calls.map((c) => c.argv)).toEqual([
      ["cat", "--", "/run/haproxy.pid"],
      ["cat", "--", "/proc/4242/comm"],
      ["kill", "-USR2", "4242"],
    ]);
    const stale = recordingShell(answers("postgres\n"));
    const error = (
      await createHaproxySwitch({ shell: stale, ...stack, servers })
        ._unsafeUnwrap()
        .reload()
    )._unsafeUnwrapErr();
    expect(error.reason).toBe("unavailable");
    expect(error.message).toContain("stale pid file");
    expect(stale.calls.some((c) => c.argv[0] === "kill")).toBe(false);
  });

  it("the default runtime API runs socat on the HAProxy host with the request on stdin", async () => {
    const shell = recordingShell(() => ({ stdout: "proc.cfg_rev: type=str value=<blue:-:r1>\n\n" }));
    const sw = createHaproxySwitch({ shell, ...stack, servers, socatBin: "/usr/bin/socat" })._unsafeUnwrap();
    expect((await sw.liveRevision())._unsafeUnwrap()).toBe("blue:-:r1");
    expect(shell.calls).toMatchObject([
      {
        argv: ["/usr/bin/socat", "-t", "30", "-T", "30", "-", "UNIX-CONNECT:/run/haproxy/admin.sock"],
        stdin: "get var proc.cfg_rev\n",
      },
    ]);
  });

  it("a missing socket is unavailable with a hint naming the stats socket", async () => {
    const shell = recordingShell(() => ({
      exitCode: 1,
      stderr:
        '2026/01/01 00:00:00 socat[1] E connect(5, AF=1 "/run/haproxy/admin.sock", 25): No such file or directory',
    }));
    const sw = createHaproxySwitch({ shell, ...stack, servers })._unsafeUnwrap();
    const error = (await sw.liveRevision())._unsafeUnwrapErr();
    expect(error).toMatchObject({ reason: "unavailable", op: "liveRevision" });
    expect(error.hint).toContain("stats socket /run/haproxy/admin.sock");
  });
});

describe("files", () => {
  it("a map line that is not `key value`, or a key given twice, is invalid_input naming the line", () => {
    expect(parseMapFile("web be_web_blue extra\n", "validate")._unsafeUnwrapErr().message).toContain(
      "line 1",
    );
    expect(parseMapFile("web a\nweb b\n", "validate")._unsafeUnwrapErr().message).toContain("twice");
  });

  it("the default template is exported as a string for tooling", () => {
    expect(DEFAULT_HAPROXY_TEMPLATE).toContain("set-var proc.cfg_rev str({{revision}})");
  });
});
