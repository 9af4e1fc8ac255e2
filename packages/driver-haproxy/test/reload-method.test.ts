import type { DriverError } from "@backflip/core";
import { LocalShell } from "@backflip/core";
import { RemoteFiles } from "@backflip/core/driver-kit";
import { errAsync, okAsync, type ResultAsync } from "neverthrow";
import { describe, expect, it } from "vitest";
import { haproxyError } from "../src/haproxy-error";
import { triggerReload } from "../src/reload-method";

const files = new RemoteFiles(new LocalShell(), { driver: "haproxy" });
const method = { method: "master-cli" as const, socket: "/run/haproxy/master.sock" };
const SHOW_PROC =
  "#<PID>          <type>          <reloads>       <uptime>        <version>\n" +
  "4242            master          3 [failed: 0]   0d00h01m02s     2.6.12\n# workers\n4250            worker          0               0d00h00m10s     2.6.12\n";
const socketError = (code: string) =>
  haproxyError("runtime-api", code === "ECONNREFUSED" ? "unavailable" : "failed", `socket: ${code}`, {
    details: { socket: "/m.sock", code },
  });

/** A master CLI answering `answers` in turn (an Error-like code string is a socket error), recording each request. */
function masterCli(...answers: string[]) {
  const sent: string[] = [];
  const runtimeApi = () => ({
    name: "stub",
    send: (line: string): ResultAsync<string, DriverError> => {
      sent.push(line);
      const answer = answers.shift() ?? SHOW_PROC;
      return /^E[A-Z]+$/.test(answer) ? errAsync(socketError(answer)) : okAsync(answer);
    },
  });
  return { sent, runtimeApi };
}

describe("the master-cli reload", () => {
  it("sends `show proc;reload` once when the reply carries the master's line (the master read the line)", async () => {
    const cli = masterCli(SHOW_PROC);
    expect((await triggerReload(method, { files, runtimeApi: cli.runtimeApi })).isOk()).toBe(true);
    expect(cli.sent).toEqual(["show proc;reload"]);
  });

  it("sends it again while the master did not take it (re-executing after a previous reload: refused, reset, broken pipe, empty)", async () => {
    const cli = masterCli("ECONNREFUSED", "ECONNRESET", "EPIPE", "", SHOW_PROC);
    expect((await triggerReload(method, { files, runtimeApi: cli.runtimeApi })).isOk()).toBe(true);
    expect(cli.sent).toHaveLength(5);
  });

  it("fails at once on a refusal (not the master socket) or another socket error, as a reload error", async () => {
    const wrong = masterCli("Unknown command: 'show proc'\n");
    expect(
      (await triggerReload(method, { files, runtimeApi: wrong.runtimeApi }))._unsafeUnwrapErr(),
    ).toMatchObject({
      op: "reload",
      reason: "failed",
      hint: expect.stringContaining("master socket"),
    });
    expect(wrong.sent).toHaveLength(1);
    const denied = masterCli("EACCES");
    expect(
      (await triggerReload(method, { files, runtimeApi: denied.runtimeApi }))._unsafeUnwrapErr(),
    ).toMatchObject({
      op: "reload",
      reason: "failed",
    });
    expect(denied.sent).toHaveLength(1);
  });

  it("gives up as unavailable when the master never takes it", async () => {
    const cli = masterCli(...Array.from({ length: 1000 }, () => "ECONNREFUSED"));
    const error = (await triggerReload(method, { files, runtimeApi: cli.runtimeApi }))._unsafeUnwrapErr();
    expect(error).toMatchObject({ op: "reload", reason: "unavailable" });
    expect(cli.sent.length).toBeGreaterThan(1);
  });
});
