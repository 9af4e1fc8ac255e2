import type { DriverError } from "@backflip/core";
import { LocalShell } from "@backflip/core";
import { RemoteFiles } from "@backflip/core/driver-kit";
import { errAsync } from "neverthrow";
import { describe, expect, it } from "vitest";
import { haproxyError } from "../src/haproxy-error";
import { triggerReload } from "../src/reload-method";

const files = new RemoteFiles(new LocalShell(), { driver: "haproxy" });
const failingWith = (code: string) => () => ({
  name: "stub",
  send: () =>
    errAsync<string, DriverError>(
      haproxyError("runtime-api", "failed", `socket: read ${code}`, { details: { socket: "/m.sock", code } }),
    ),
});

describe("the master-cli reload", () => {
  it("counts a reset after `reload` as sent (the master re-executes and closes the connection)", async () => {
    const method = { method: "master-cli" as const, socket: "/run/haproxy/master.sock" };
    expect((await triggerReload(method, { files, runtimeApi: failingWith("ECONNRESET") })).isOk()).toBe(true);
  });

  it("still fails on any other socket error, as a reload error", async () => {
    const method = { method: "master-cli" as const, socket: "/run/haproxy/master.sock" };
    const error = (
      await triggerReload(method, { files, runtimeApi: failingWith("EPIPE") })
    )._unsafeUnwrapErr();
    expect(error).toMatchObject({ op: "reload", reason: "failed" });
  });
});
