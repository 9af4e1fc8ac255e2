import type { Shell, ShellResult } from "@backflip/core";
import { okAsync } from "neverthrow";
import { describe, expect, it } from "vitest";
import { RemoteFiles } from "../src/remote-files";

describe("RemoteFiles", () => {
  it("reads kernel pseudo-files with cat, not a file API that serves them empty (Incus)", async () => {
    const ran: string[][] = [];
    const shell: Shell = {
      name: "incus-like",
      run: (argv) => {
        ran.push([...argv]);
        const result: ShellResult = {
          exitCode: 0,
          signal: null,
          stdout: "haproxy\n",
          stderr: "",
          truncated: false,
          durationMs: 1,
        };
        return okAsync(result);
      },
      files: {
        readFile: () => okAsync(new Uint8Array()), // what Incus's file API answers for /proc files
        writeFileAtomic: () => okAsync(undefined),
      },
    };
    const files = new RemoteFiles(shell, 1000);
    expect((await files.read("/proc/42/comm", "reload"))._unsafeUnwrap()).toBe("haproxy\n");
    expect(ran).toEqual([["cat", "--", "/proc/42/comm"]]);
    expect((await files.read("/run/haproxy.pid", "reload"))._unsafeUnwrap()).toBe("");
    expect(ran).toHaveLength(1);
  });
});
