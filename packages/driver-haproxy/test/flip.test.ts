import { readdir } from "node:fs/promises";
import { LocalShell, type SwitchRequest } from "@backflip/core";
import { skipUnlessBackend } from "@backflip/core/testing";
import { afterEach, describe, expect, it } from "vitest";
import { DEFAULT_HAPROXY_TEMPLATE } from "../src/index";
import { commandsOnly, haproxyReady, type Lab, type LabOptions, startLab } from "./support/lab";

// Ports: frontends 18420-18429; HTTP servers 18430-18439.
const skip = skipUnlessBackend(haproxyReady, "haproxy", "scripts/backends up haproxy");
const SHA_GREEN = "1111111111111111111111111111111111111111";

describe.skipIf(skip)("HAProxy flips on a real HAProxy 2.6", () => {
  let lab: Lab | undefined;
  afterEach(async () => {
    await lab?.stop();
    lab = undefined;
  });
  const start = async (options: Omit<LabOptions, "serverPorts">) => {
    lab = await startLab({ serverPorts: { blue: 18430, green: 18435 }, httpServers: true, ...options });
    return lab;
  };
  const workerPid = async (l: Lab) => /Pid: (\d+)/.exec(await l.cli("show info"))?.[1];

  /** The flip the recipe's steps make, call by call. */
  const flip = async (l: Lab, req: SwitchRequest) => {
    const prior = (await l.sw.readState())._unsafeUnwrap();
    const config = (await l.sw.render(req))._unsafeUnwrap();
    (await l.sw.validate(config))._unsafeUnwrap();
    const { previousRevision } = (await l.sw.install(config))._unsafeUnwrap();
    (await l.sw.reload())._unsafeUnwrap();
    (await l.sw.confirm(config.revision))._unsafeUnwrap();
    const recorded = (await l.sw.record(req))._unsafeUnwrap();
    return { prior, config, previousRevision, recorded };
  };
  /** The undo the recipe's steps make, newest first. */
  const undo = async (l: Lab, prior: Awaited<ReturnType<typeof flip>>["prior"]) => {
    (await l.sw.writeState(prior))._unsafeUnwrap();
    const { revision } = (await l.sw.restorePrevious())._unsafeUnwrap();
    (await l.sw.reload())._unsafeUnwrap();
    if (revision !== null) (await l.sw.confirm(revision))._unsafeUnwrap();
    return revision;
  };

  for (const [label, reload] of [
    ["USR2 to the master", undefined],
    [
      "HUP to the master",
      (p: Lab["paths"]) => ({ method: "signal" as const, pidFile: p.pidFile, signal: "HUP" as const }),
    ],
    ["the master CLI", (p: Lab["paths"]) => ({ method: "master-cli" as const, socket: p.masterSocket })],
  ] as const) {
    it(`reload mode (${label}): flips traffic, confirms by asking HAProxy, records, and undoes`, async () => {
      const l = await start({ port: 18420, ...(reload ? { reload } : {}) });
      expect(await l.get()).toBe("200 blue");
      const bootstrapConfig = await l.read(l.paths.configPath);
      const reloadsBefore = await l.reloads();

      const req = { color: "green", sha: SHA_GREEN, runId: "run-flip-1", actor: "alice@ops" };
      const { prior, config, previousRevision, recorded } = await flip(l, req);
      expect(previousRevision).toBe("blue:-:bootstrap");
      expect(await l.get()).toBe("200 green");
      expect((await l.cli("get var proc.cfg_rev")).trim()).toBe(
        `proc.cfg_rev: type=str value=<${config.revision}>`,
      );
      expect(await l.reloads()).toBe(reloadsBefore + 1);
      expect(await l.read(l.paths.configPath)).toBe(config.content);
      expect(await l.read(`${l.paths.configPath}.prev`)).toBe(bootstrapConfig);
      expect(await l.read(l.paths.stateFile)).toBe("green\n");
      const lines = (await l.read(l.paths.historyFile)).split("\n");
      expect(lines[0]).toMatch(
        new RegExp(`^\\d{4}-\\d\\d-\\d\\dT\\S+Z green ${SHA_GREEN} run-flip-1 alice@ops$`),
      );
      expect(lines).toHaveLength(2);
      expect(recorded).toEqual((await l.sw.readState())._unsafeUnwrap());
      // No candidate or temp file is left next to the config.
      const dir = l.paths.configPath.slice(0, l.paths.configPath.lastIndexOf("/"));
      expect((await readdir(dir)).filter((f) => f.includes("backflip-"))).toEqual([]);

      const revision = await undo(l, prior);
      expect(revision).toBe("blue:-:bootstrap");
      expect(await l.get()).toBe("200 blue");
      expect(await l.read(l.paths.configPath)).toBe(bootstrapConfig);
      expect(await l.read(l.paths.stateFile)).toBe("blue\n");
      expect(await l.read(l.paths.historyFile)).toBe("");
      expect((await l.sw.liveRevision())._unsafeUnwrap()).toBe("blue:-:bootstrap");
    });
  }

  it("reload mode: an invalid rendered config leaves the live file byte-identical and no reload happens", async () => {
    // A user template that renders a directive HAProxy does not know when asked to.
    const template = DEFAULT_HAPROXY_TEMPLATE.replace(
      "defaults\n",
      "defaults\n{{#if vars.broken}}\n    no-such-directive on\n{{/if}}\n",
    );
    const l = await start({ port: 18421, extra: { template, vars: { broken: false } } });
    const sw = l.driver({ template, vars: { broken: true } });
    const live = await l.read(l.paths.configPath);
    const reloads = await l.reloads();
    const pid = await workerPid(l);
    const config = (await sw.render({ color: "green", runId: "run-bad", actor: "ops" }))._unsafeUnwrap();
    expect(config.content).toContain("no-such-directive on");

    const validated = await sw.validate(config);
    const error = validated._unsafeUnwrapErr();
    expect(error.reason).toBe("invalid_input");
    expect(error.message).toContain("no-such-directive");
    const installed = await sw.install(config);
    expect(installed._unsafeUnwrapErr().message).toContain("no-such-directive");

    expect(await l.read(l.paths.configPath)).toBe(live);
    expect(await l.reloads()).toBe(reloads);
    expect(await workerPid(l)).toBe(pid);
    expect(await l.get()).toBe("200 blue");
    const dir = l.paths.configPath.slice(0, l.paths.configPath.lastIndexOf("/"));
    expect((await readdir(dir)).filter((f) => f.includes("backflip-") || f.endsWith(".prev"))).toEqual([]);
  });

  it("map mode: flips with the runtime API and no reload, survives a later reload, and undoes", async () => {
    const l = await start({
      port: 18422,
      mode: "map",
      components: ["backend", "web"],
      extra: { routes: { backend: "/api/" } },
    });
    expect(await l.get("/")).toBe("200 blue");
    expect(await l.get("/api/x")).toBe("200 blue");
    const bootstrapMap = await l.read(l.paths.mapFile);
    const reloads = await l.reloads();
    const pid = await workerPid(l);

    const req = { color: "green", runId: "run-map-1", actor: "bob" };
    const { prior, config, previousRevision } = await flip(l, req);
    expect(previousRevision).toBe("blue:-:bootstrap");
    expect(await l.get("/")).toBe("200 green");
    expect(await l.get("/api/x")).toBe("200 green");
    expect(await l.reloads()).toBe(reloads);
    expect(await workerPid(l)).toBe(pid);
    const shown = await l.cli(`show map ${l.paths.mapFile}`);
    expect(shown).toMatch(/ backend be_backend_green\n/);
    expect(shown).toMatch(/ web be_web_green\n/);
    expect(shown).toContain(`backflip.revision ${config.revision}`);
    expect(await l.read(l.paths.mapFile)).toBe(config.content);
    expect(await l.read(`${l.paths.mapFile}.prev`)).toBe(bootstrapMap);
    expect(await l.read(l.paths.stateFile)).toBe("green\n");
    expect((await l.read(l.paths.historyFile)).split("\n")[0]).toMatch(/ green - run-map-1 bob$/);

    // A reload re-reads the map file from disk: the flip persists.
    (await l.driver({ mode: "reload" }).reload())._unsafeUnwrap();
    for (let i = 0; i < 100 && (await l.reloads()) === reloads; i++)
      await new Promise((r) => setTimeout(r, 20));
    (await l.sw.confirm(config.revision))._unsafeUnwrap();
    expect(await l.get("/")).toBe("200 green");

    expect(await undo(l, prior)).toBe("blue:-:bootstrap");
    expect(await l.get("/")).toBe("200 blue");
    expect(await l.get("/api/x")).toBe("200 blue");
    expect(await l.read(l.paths.mapFile)).toBe(bootstrapMap);
    expect(await l.read(l.paths.stateFile)).toBe("blue\n");
  });

  it("map mode: a reload whose lease was broken changes nothing HAProxy serves, and the newer run's flip commits", async () => {
    const l = await start({ port: 18425, mode: "map" });
    const newer = { key: "staging", token: 8 };
    const stale = { key: "staging", token: 7 };
    const req = { color: "green", runId: "run-map-newer", actor: "ops" };
    const config = (await l.sw.render(req))._unsafeUnwrap();
    (await l.sw.validate(config))._unsafeUnwrap();
    (await l.sw.install(config, newer))._unsafeUnwrap();
    const before = await l.cli(`show map ${l.paths.mapFile}`);
    // The stale run's reload prepares a map version while its fence is read, then is refused.
    const refused = (await l.sw.reload(stale))._unsafeUnwrapErr();
    expect(refused).toMatchObject({
      op: "reload",
      reason: "conflict",
      details: { fenced: true, current: 8 },
    });
    expect(await l.cli(`show map ${l.paths.mapFile}`)).toBe(before);
    expect(await l.get("/")).toBe("200 blue");
    // The version it left uncommitted does not stand in the newer run's way.
    (await l.sw.reload(newer))._unsafeUnwrap();
    (await l.sw.confirm(config.revision))._unsafeUnwrap();
    expect(await l.get("/")).toBe("200 green");
  });

  it("map mode with drain: the old color's servers drain as the map switches, the new color's are ready", async () => {
    const l = await start({ port: 18423, mode: "map", drain: true, directSocket: true });
    const adminState = async (backend: string) => {
      const lines = (await l.cli(`show servers state ${backend}`)).split("\n");
      const header =
        lines
          .find((x) => x.startsWith("# "))
          ?.slice(2)
          .split(" ") ?? [];
      const row = lines.find((x) => x.includes(` ${backend} `))?.split(" ") ?? [];
      return Number(row[header.indexOf("srv_admin_state")]);
    };
    await flip(l, { color: "green", runId: "run-drain-1", actor: "ops" });
    expect(await l.get()).toBe("200 green");
    expect((await adminState("be_web_blue")) & 0x08).toBe(0x08);
    expect((await adminState("be_web_green")) & 0x08).toBe(0);
    await flip(l, { color: "blue", runId: "run-drain-2", actor: "ops" });
    expect(await l.get()).toBe("200 blue");
    expect((await adminState("be_web_blue")) & 0x08).toBe(0);
    expect((await adminState("be_web_green")) & 0x08).toBe(0x08);
  });

  it("a resumed activate and record are idempotent: repeating them changes nothing more", async () => {
    const l = await start({ port: 18424, shell: commandsOnly(new LocalShell()) });
    const req = { color: "green", runId: "run-repeat", actor: "ops" };
    const { config, recorded } = await flip(l, req);
    const reloads = await l.reloads();
    // The runner re-runs an idempotent step after a crash: install again, reload, confirm, record.
    expect((await l.sw.install(config))._unsafeUnwrap().previousRevision).toBe("blue:-:bootstrap");
    expect((await l.sw.record(req))._unsafeUnwrap()).toEqual(recorded);
    expect(await l.read(l.paths.historyFile)).toBe(
      `${recorded.history.map((e) => `${e.at} ${e.color} - ${e.runId} ${e.actor}`).join("\n")}\n`,
    );
    expect(await l.reloads()).toBe(reloads);
  });
});
