import { LocalShell, type Shell } from "@backflip/core";
import { skipUnlessBackend } from "@backflip/core/testing";
import { afterEach, describe, expect, it } from "vitest";
import { localProcessSignals } from "../src/index";
import { haproxyReady, type Lab, startLab } from "./support/lab";

// Ports: frontend 18470; HTTP servers 18471-18472.
const skip = skipUnlessBackend(haproxyReady, "haproxy", "scripts/backends up haproxy");

describe("localProcessSignals", () => {
  it("names this process's command, says null for a pid no process has, and cannot signal it", async () => {
    const signals = localProcessSignals();
    expect((await signals.commandOf(process.pid))._unsafeUnwrap()).toMatch(/node|vitest/);
    const gone = 4_194_000 + (process.pid % 100);
    expect((await signals.commandOf(gone))._unsafeUnwrap()).toBeNull();
    const refused = (await signals.send(gone, "USR2"))._unsafeUnwrapErr();
    expect(refused).toMatchObject({ driver: "haproxy", op: "reload", reason: "unavailable" });
  });
});

describe.skipIf(skip)("the signal reload with localProcessSignals, on a real HAProxy 2.6", () => {
  let lab: Lab | undefined;
  afterEach(async () => {
    await lab?.stop();
    lab = undefined;
  });

  it("reloads by USR2 sent from this process: no command runs for the reload, the flip is confirmed", async () => {
    const commands: string[][] = [];
    const local = new LocalShell();
    const shell: Shell = {
      name: local.name,
      files: local.files,
      run: (argv, options) => {
        commands.push([...argv]);
        return local.run(argv, options);
      },
    };
    lab = await startLab({
      port: 18470,
      serverPorts: { blue: 18471, green: 18472 },
      httpServers: true,
      directSocket: true,
      shell,
      extra: { processSignals: localProcessSignals() },
    });
    const l = lab;
    expect(await l.get()).toBe("200 blue");
    const reloadsBefore = await l.reloads();
    const config = (
      await l.sw.render({ color: "green", runId: "run-signals", actor: "alice@ops" })
    )._unsafeUnwrap();
    (await l.sw.validate(config))._unsafeUnwrap();
    (await l.sw.install(config))._unsafeUnwrap();
    commands.length = 0;
    (await l.sw.reload())._unsafeUnwrap();
    (await l.sw.confirm(config.revision))._unsafeUnwrap();
    expect(commands).toEqual([]);
    expect(await l.reloads()).toBe(reloadsBefore + 1);
    expect(await l.get()).toBe("200 green");
  });

  it("refuses a pid file naming a process that is not haproxy, signalling nothing", async () => {
    lab = await startLab({
      port: 18470,
      serverPorts: { blue: 18471, green: 18472 },
      extra: { processSignals: localProcessSignals() },
    });
    const l = lab;
    const { writeFile } = await import("node:fs/promises");
    await writeFile(l.paths.pidFile, `${process.pid}\n`);
    const refused = (await l.sw.reload())._unsafeUnwrapErr();
    expect(refused).toMatchObject({ op: "reload", reason: "unavailable" });
    expect(refused.message).toContain("not haproxy");
  });
});
