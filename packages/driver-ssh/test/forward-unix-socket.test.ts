/**
 * `SshShell.forwardUnixSocket` against the loopback OpenSSH server: a local socket whose
 * connections reach a unix socket on the SSH host (here a small echo server in a
 * directory the SSH user may enter), as the lab does for the Incus API.
 */
import { chmod, mkdtemp, rm } from "node:fs/promises";
import { createConnection, createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SshShell } from "../src/ssh-shell";
import { sshdOptions, sshdSkip } from "./sshd-target";

/** Sends `line` over a new connection to `path`; what came back before it ended, then `[CODE]` on an error. */
function exchange(path: string, line: string): Promise<string> {
  return new Promise((resolve) => {
    let got = "";
    const socket = createConnection({ path });
    socket.on("connect", () => socket.write(line));
    socket.on("data", (d: Buffer) => {
      got += d.toString();
      socket.end();
    });
    socket.on("error", (e: NodeJS.ErrnoException) => resolve(`${got}[${e.code}]`));
    socket.on("close", () => resolve(got));
  });
}

describe.skipIf(sshdSkip)("SshShell.forwardUnixSocket against the loopback OpenSSH server", () => {
  let dir: string;
  let echo: Server;
  const shell = SshShell.create(sshdOptions())._unsafeUnwrap();

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "bf-forward-"));
    await chmod(dir, 0o755);
    echo = createServer((s) => s.on("data", (d: Buffer) => s.write(`pong:${d.toString()}`)));
    await new Promise<void>((resolve) => echo.listen(join(dir, "remote.sock"), resolve));
    await chmod(join(dir, "remote.sock"), 0o777);
  });
  afterAll(async () => {
    await shell.close();
    await new Promise<void>((resolve) => echo.close(() => resolve()));
    await rm(dir, { recursive: true, force: true });
  });

  it("carries each local connection to the remote socket, many at once", async () => {
    const forward = (
      await shell.forwardUnixSocket(join(dir, "remote.sock"), join(dir, "local.sock"))
    )._unsafeUnwrap();
    const replies = await Promise.all(["a", "b", "c"].map((x) => exchange(forward.path, x)));
    expect(replies).toEqual(["pong:a", "pong:b", "pong:c"]);
    await forward.close();
    expect(await exchange(join(dir, "local.sock"), "after close")).toBe("[ENOENT]");
  });

  it("closes a connection the host cannot carry (no such remote socket) without an answer", async () => {
    const forward = (
      await shell.forwardUnixSocket(join(dir, "missing.sock"), join(dir, "local2.sock"))
    )._unsafeUnwrap();
    expect(await exchange(forward.path, "hello")).toMatch(/^(\[ECONNRESET\])?$/);
    await forward.close();
  });

  it("refuses relative paths with invalid_input, listening on nothing", async () => {
    const e = (await shell.forwardUnixSocket("relative.sock", join(dir, "local3.sock")))._unsafeUnwrapErr();
    expect(e.reason).toBe("invalid_input");
  });
});
