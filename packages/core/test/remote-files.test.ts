import { errAsync, okAsync } from "neverthrow";
import { describe, expect, it } from "vitest";
import { RemoteFiles } from "../src/driver-kit/remote-files";
import { driverError, type FileEntry, type Shell } from "../src/index";
import { recordingShell } from "../src/testing/recording-shell";

describe("RemoteFiles", () => {
  it("reads kernel pseudo-files with cat, not a file API that serves them empty (Incus)", async () => {
    const shell = recordingShell(() => ({ stdout: "haproxy\n" }), {
      name: "incus-like",
      files: {
        readFile: () => okAsync(new Uint8Array()), // what Incus's file API answers for /proc files
        writeFileAtomic: () => okAsync(undefined),
      },
    });
    const files = new RemoteFiles(shell, { driver: "haproxy", timeoutMs: 1000 });
    expect((await files.read("/proc/42/comm", "reload"))._unsafeUnwrap()).toBe("haproxy\n");
    expect(shell.argvs()).toEqual([["cat", "--", "/proc/42/comm"]]);
    expect((await files.read("/run/haproxy.pid", "reload"))._unsafeUnwrap()).toBe("");
    expect(shell.calls).toHaveLength(1);
  });

  it("sweeps the stale temp siblings of a file, sparing fresh ones, the one to keep and others' files", async () => {
    const old = Date.now() - 60 * 60_000;
    const entries: FileEntry[] = [
      { name: ".haproxy.cfg.backflip-0123456789abcdef.new", mtimeMs: old },
      { name: ".haproxy.cfg.backflip-a1b2c3d4e5f6", mtimeMs: old },
      { name: ".haproxy.cfg.backflip-fedcba9876543210.new", mtimeMs: old },
      { name: ".haproxy.cfg.backflip-1111111111111111.new", mtimeMs: Date.now() },
      { name: ".haproxy.cfg.backflip-2222222222222222.new", mtimeMs: null },
      { name: "haproxy.cfg.prev", mtimeMs: old },
      { name: ".other.cfg.backflip-3333333333333333.new", mtimeMs: old },
    ];
    const removed: string[] = [];
    const listed: string[] = [];
    const shell: Shell = {
      name: "incus-like",
      run: () => {
        throw new Error("no command should run");
      },
      files: {
        readFile: () => okAsync(new Uint8Array()),
        writeFileAtomic: () => okAsync(undefined),
        remove: (path) => {
          removed.push(path);
          return okAsync(undefined);
        },
        list: (dir) => {
          listed.push(dir);
          return okAsync(entries);
        },
      },
    };
    const files = new RemoteFiles(shell, { driver: "haproxy", timeoutMs: 1000 });
    const keep = "/etc/haproxy/.haproxy.cfg.backflip-fedcba9876543210.new";
    (await files.sweepTemps("/etc/haproxy/haproxy.cfg", 10 * 60_000, keep))._unsafeUnwrap();
    expect(listed).toEqual(["/etc/haproxy"]);
    expect(removed.sort()).toEqual([
      "/etc/haproxy/.haproxy.cfg.backflip-0123456789abcdef.new",
      "/etc/haproxy/.haproxy.cfg.backflip-a1b2c3d4e5f6",
    ]);
  });

  it("sweeps nothing, and does not fail, when the Shell cannot list or the listing fails", async () => {
    const base = {
      name: "plain",
      run: () => {
        throw new Error("no command should run");
      },
    };
    const without = new RemoteFiles(base as Shell, { driver: "haproxy", timeoutMs: 1000 });
    expect((await without.sweepTemps("/etc/haproxy/haproxy.cfg", 0, "")).isOk()).toBe(true);
    const failing = new RemoteFiles(
      {
        ...base,
        files: {
          readFile: () => okAsync(new Uint8Array()),
          writeFileAtomic: () => okAsync(undefined),
          list: () =>
            errAsync(driverError({ driver: "x", op: "list", reason: "unavailable", message: "gone" })),
        },
      } as Shell,
      { driver: "haproxy", timeoutMs: 1000 },
    );
    expect((await failing.sweepTemps("/etc/haproxy/haproxy.cfg", 0, "")).isOk()).toBe(true);
  });
});
