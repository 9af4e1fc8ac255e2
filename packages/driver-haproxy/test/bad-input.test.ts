import { mkdir, rm } from "node:fs/promises";
import { LocalShell } from "@backflip/core";
import { skipUnlessBackend } from "@backflip/core/testing";
import { afterEach, describe, expect, it } from "vitest";
import { commandsOnly, haproxyReady, type Lab, type LabOptions, startLab } from "./support/lab";

// Ports: frontends 18460-18464; server addresses 18465-18468 (never listened on).
const skip = skipUnlessBackend(haproxyReady, "haproxy", "scripts/backends up haproxy");

describe.skipIf(skip)("bad input against a real HAProxy: a typed error, the live config untouched", () => {
  let lab: Lab | undefined;
  afterEach(async () => {
    await lab?.stop();
    lab = undefined;
  });
  const start = async (options: Omit<LabOptions, "serverPorts">) => {
    lab = await startLab({ serverPorts: { blue: 18465, green: 18466 }, ...options });
    return lab;
  };
  const request = { color: "green", runId: "run-bad-input", actor: "ops" };

  for (const [label, shell] of [
    ["files capability", new LocalShell()],
    ["commands only", commandsOnly(new LocalShell())],
  ] as const) {
    it(`unreadable or missing state files are typed errors (${label})`, async () => {
      const l = await start({ port: 18460, shell });
      const live = await l.read(l.paths.configPath);

      await l.write(l.paths.stateFile, "purple\n");
      const wrong = (await l.sw.readState())._unsafeUnwrapErr();
      expect(wrong).toMatchObject({ reason: "failed", op: "readState" });
      expect(wrong.message).toContain("purple");

      await rm(l.paths.stateFile);
      const missing = (await l.sw.readState())._unsafeUnwrapErr();
      expect(missing).toMatchObject({ reason: "not_found", op: "readState" });
      expect(missing.hint).toContain(l.paths.stateFile);

      await mkdir(l.paths.stateFile);
      const unreadable = (await l.sw.readState())._unsafeUnwrapErr();
      expect(unreadable).toMatchObject({ reason: "failed", op: "readState" });
      expect(unreadable.message).toContain(l.paths.stateFile);

      await l.write(l.paths.historyFile, "garbage\n");
      await rm(l.paths.stateFile, { recursive: true });
      await l.write(l.paths.stateFile, "blue\n");
      const history = (await l.sw.readState())._unsafeUnwrapErr();
      expect(history.message).toContain("line 1");
      // Recording refuses to rewrite a history it cannot read, and leaves it as it was.
      expect((await l.sw.record(request))._unsafeUnwrapErr().reason).toBe("failed");
      expect(await l.read(l.paths.historyFile)).toBe("garbage\n");
      expect(await l.read(l.paths.stateFile)).toBe("blue\n");
      expect(await l.read(l.paths.configPath)).toBe(live);
    });
  }

  it("a missing stats socket is unavailable: nothing confirmed, nothing installed in map mode", async () => {
    const l = await start({ port: 18461, mode: "map" });
    const live = await l.read(l.paths.mapFile);
    const sw = l.driver({ statsSocket: `${l.paths.statsSocket}.missing`, confirmTimeoutMs: 200 });
    const config = (await sw.render(request))._unsafeUnwrap();
    for (const result of [await sw.liveRevision(), await sw.validate(config), await sw.install(config)]) {
      const error = result._unsafeUnwrapErr();
      expect(error.reason).toBe("unavailable");
      expect(error.hint).toContain(`stats socket ${l.paths.statsSocket}.missing`);
    }
    expect((await sw.confirm(config.revision))._unsafeUnwrapErr()).toMatchObject({
      reason: "unavailable",
      op: "confirm",
    });
    expect(await l.read(l.paths.mapFile)).toBe(live);
    expect((await l.sw.liveRevision())._unsafeUnwrap()).toBe("blue:-:bootstrap");
  });

  it("a stale pid file gets no signal; a missing haproxy binary installs nothing", async () => {
    const l = await start({ port: 18462 });
    const live = await l.read(l.paths.configPath);
    // This test process's own pid: were it signalled with USR2, the test runner would die.
    await l.write(l.paths.pidFile, `${process.pid}\n`);
    const stale = (await l.sw.reload())._unsafeUnwrapErr();
    expect(stale).toMatchObject({ reason: "unavailable", op: "reload" });
    expect(stale.message).toContain("not haproxy");

    const sw = l.driver({ haproxyBin: "/nonexistent/haproxy" });
    const config = (await sw.render(request))._unsafeUnwrap();
    expect((await sw.validate(config))._unsafeUnwrapErr().reason).toBe("not_found");
    expect((await sw.install(config))._unsafeUnwrapErr().reason).toBe("not_found");
    expect(await l.read(l.paths.configPath)).toBe(live);
    expect((await l.sw.liveRevision())._unsafeUnwrap()).toBe("blue:-:bootstrap");
  });

  it("a map the running config does not use is refused before anything is written", async () => {
    const l = await start({ port: 18463 });
    // A map-mode driver pointed at a proxy running a reload-mode config.
    const sw = l.driver({ mode: "map" });
    const config = (await sw.render(request))._unsafeUnwrap();
    const error = (await sw.install(config))._unsafeUnwrapErr();
    expect(error.message).toContain(`does not use the map ${l.paths.mapFile}`);
    await expect(l.read(l.paths.mapFile)).rejects.toThrow();
  });
});
