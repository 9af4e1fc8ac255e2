import { runShellConformance } from "@backflip/core/testing";
import { afterAll } from "vitest";
import { SshShell } from "../src/ssh-shell";
import { sshdOptions, sshdSkip } from "./sshd-target";

/** One connection shared by every test, as a real caller would use it. */
const shared = sshdSkip ? undefined : SshShell.create(sshdOptions())._unsafeUnwrap();

afterAll(async () => {
  await shared?.close();
});

runShellConformance({
  name: "ssh (real OpenSSH on loopback)",
  skip: sshdSkip,
  setup: async () => ({ port: shared!, fixtures: {} }),
});

runShellConformance({
  name: "ssh via a jump host (the same loopback server as the jump)",
  skip: sshdSkip,
  setup: async () => {
    const shell = SshShell.create(sshdOptions({ jump: sshdOptions() }))._unsafeUnwrap();
    return { port: shell, fixtures: {}, teardown: async () => void (await shell.close()) };
  },
});
