import { recordingShell, type ShellAnswer } from "@backflip/core/testing";
import { describe, expect, it } from "vitest";
import { createNginxSwitch } from "../src/index";
import { paperOptions } from "./support/paper-options";

function switchAnswering(answer: ShellAnswer) {
  const shell = recordingShell((argv) => (argv[0] === "/usr/bin/curl" ? answer : undefined));
  const sw = createNginxSwitch(paperOptions(shell, { curlBin: "/usr/bin/curl" }))._unsafeUnwrap();
  return { sw, shell };
}

describe("liveRevision asks nginx's status location with curl", () => {
  it("reads the revision the status location answers", async () => {
    const { sw, shell } = switchAnswering({ stdout: "green:-:run-1\n" });
    expect((await sw.liveRevision())._unsafeUnwrap()).toBe("green:-:run-1");
    expect(shell.argvs()[0]).toEqual([
      "/usr/bin/curl",
      "-fsS",
      "--max-time",
      "2",
      "http://127.0.0.1:8091/backflip-revision",
    ]);
  });

  it("is null when nginx answers an HTTP error (a config without the status location)", async () => {
    const { sw } = switchAnswering({
      exitCode: 22,
      stderr: "curl: (22) The requested URL returned error: 404",
    });
    expect((await sw.liveRevision())._unsafeUnwrap()).toBeNull();
  });

  it("is unavailable when nothing answers on the status address", async () => {
    const { sw } = switchAnswering({
      exitCode: 7,
      stderr: "curl: (7) Failed to connect to 127.0.0.1 port 8091",
    });
    const error = (await sw.liveRevision())._unsafeUnwrapErr();
    expect(error).toMatchObject({ driver: "nginx", op: "liveRevision", reason: "unavailable" });
    expect(error.hint).toContain("127.0.0.1:8091");
  });

  it("fails on an answer that is not a revision", async () => {
    const { sw } = switchAnswering({ stdout: "<html>welcome to nginx</html>\n" });
    const error = (await sw.liveRevision())._unsafeUnwrapErr();
    expect(error.reason).toBe("failed");
    expect(error.message).toContain("not a revision");
  });
});
