import { join } from "node:path";
import { skipUnlessBackend } from "@backflip/core/testing";
import { afterEach, describe, expect, it } from "vitest";
import { unixSocketRuntimeApi } from "../src/index";
import { haproxyReady, type Lab, startLab } from "./support/lab";

// Ports: frontend 18456; HTTP servers 18457-18458 (not started).
const skip = skipUnlessBackend(haproxyReady, "haproxy", "scripts/backends up haproxy");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(skip)("unixSocketRuntimeApi sessions, on a real HAProxy 2.6", () => {
  let lab: Lab | undefined;
  afterEach(async () => {
    await lab?.stop();
    lab = undefined;
  });

  /** HAProxy's count of connections accepted so far (the stats socket's included). */
  const accepted = (showInfo: string) => Number(/^CumConns: (\d+)$/m.exec(showInfo)?.[1]);

  it("sends several requests on one connection, each reply as send gives it, and opens a new one after close", async () => {
    lab = await startLab({ port: 18456, serverPorts: { blue: 18457, green: 18458 }, mode: "map" });
    const { mapFile, statsSocket } = lab.paths;
    const api = unixSocketRuntimeApi(statsSocket);
    const session = api.session?.();
    if (!session) throw new Error("the unix-socket runtime API has sessions");

    const first = accepted((await session.send("show info"))._unsafeUnwrap());
    const both = (await session.send(`show backend;show map ${mapFile}`))._unsafeUnwrap();
    expect(both).toBe((await api.send(`show backend;show map ${mapFile}`))._unsafeUnwrap());
    expect(both).toContain("be_web_green\n");
    expect(both).toMatch(/ web be_web_blue\n/);
    // Still the first connection: HAProxy counted the one `send` above, not another of the session's.
    expect(accepted((await session.send("show info"))._unsafeUnwrap())).toBe(first + 1);

    // A refused command answers its message, as with send; the connection stays usable.
    const refused = (await session.send(`add map @999 ${mapFile} web be_web_green`))._unsafeUnwrap();
    expect(refused).toMatch(/Version number in the future/);
    expect((await session.send(`show map ${mapFile}`))._unsafeUnwrap()).toMatch(/ web be_web_blue\n/);

    session.close();
    expect(accepted((await session.send("show info"))._unsafeUnwrap())).toBe(first + 2);
    session.close();
  });

  it("prepare, add and commit on one session switch the map at once", async () => {
    lab = await startLab({ port: 18456, serverPorts: { blue: 18457, green: 18458 }, mode: "map" });
    const { mapFile, statsSocket } = lab.paths;
    const session = unixSocketRuntimeApi(statsSocket).session?.();
    if (!session) throw new Error("the unix-socket runtime API has sessions");
    const prepared = (await session.send(`prepare map ${mapFile}`))._unsafeUnwrap();
    const version = /New version created: (\d+)/.exec(prepared)?.[1];
    expect(version).toBeDefined();
    expect(
      (await session.send(`add map @${version} ${mapFile} web be_web_green`))._unsafeUnwrap().trim(),
    ).toBe("");
    // Not committed yet: the running map (asked on another connection) is unchanged.
    expect(await lab.cli(`show map ${mapFile}`)).toMatch(/ web be_web_blue\n/);
    expect((await session.send(`commit map @${version} ${mapFile}`))._unsafeUnwrap().trim()).toBe("");
    expect(await lab.cli(`show map ${mapFile}`)).toMatch(/ web be_web_green\n/);
    session.close();
  });

  it("a session whose connection HAProxy closed while idle opens a new one; a missing socket is unavailable", async () => {
    lab = await startLab({ port: 18456, serverPorts: { blue: 18457, green: 18458 }, mode: "map" });
    const session = unixSocketRuntimeApi(lab.paths.statsSocket).session?.();
    if (!session) throw new Error("the unix-socket runtime API has sessions");
    const before = accepted((await session.send("show info"))._unsafeUnwrap());
    // `quit` ends the connection from HAProxy's side, as its idle timeout would.
    expect((await session.send("quit"))._unsafeUnwrapErr()).toMatchObject({
      reason: "unavailable",
      details: { code: "ECONNRESET" },
    });
    await sleep(50);
    expect(accepted((await session.send("show info"))._unsafeUnwrap())).toBe(before + 1);
    session.close();

    const gone = unixSocketRuntimeApi(join(lab.paths.statsSocket, "..", "nobody.sock")).session?.();
    const error = (await gone?.send("show info"))?._unsafeUnwrapErr();
    expect(error).toMatchObject({ driver: "haproxy", reason: "unavailable" });
  });
});
