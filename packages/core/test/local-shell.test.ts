import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LocalShellFiles, runChecked } from "../src/driver-kit/index";
import { LocalShell } from "../src/index";
import { runShellConformance } from "../src/testing/index";

runShellConformance({ name: "LocalShell", setup: async () => ({ port: new LocalShell(), fixtures: {} }) });

/** True while `pid` is a live (not zombie) process. */
async function alive(pid: number): Promise<boolean> {
  try {
    const fields = (await readFile(`/proc/${pid}/stat`, "utf8")).split(") ")[1] ?? "";
    return !fields.startsWith("Z") && !fields.startsWith("X");
  } catch {
    return false;
  }
}

let dir = "";
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "backflip-local-shell-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("LocalShell", () => {
  const shell = new LocalShell();

  it("returns not_found with a hint for a missing program", async () => {
    const error = (await shell.run(["backflip-no-such-program"]))._unsafeUnwrapErr();
    expect(error.reason).toBe("not_found");
    expect(error.message).toContain("backflip-no-such-program");
    expect(error.hint).toMatch(/install|path/i);
  });

  it("returns unauthorized for a file that is not executable", async () => {
    const script = join(dir, "script.sh");
    await writeFile(script, "#!/bin/sh\necho hi\n", { mode: 0o644 });
    const error = (await shell.run([script]))._unsafeUnwrapErr();
    // root may still be refused: the execute bit is checked for everyone.
    expect(error.reason).toBe("unauthorized");
  });

  it("runs in cwd", async () => {
    const result = (await shell.run(["sh", "-c", "pwd"], { cwd: dir }))._unsafeUnwrap();
    expect(result.stdout.trim()).toBe(dir);
  });

  it("returns not_found for a missing cwd, naming it, and runs nothing", async () => {
    const marker = join(dir, "ran");
    const missing = join(dir, "missing");
    const error = (await shell.run(["sh", "-c", `echo > ${marker}`], { cwd: missing }))._unsafeUnwrapErr();
    expect(error.reason).toBe("not_found");
    expect(error.message).toContain(missing);
    await expect(stat(marker)).rejects.toThrow();
  });

  it("merges env over the process environment", async () => {
    const result = (
      await shell.run(["sh", "-c", 'printf "%s|%s" "$BACKFLIP_TEST_VAR" "$PATH"'], {
        env: { BACKFLIP_TEST_VAR: "a b $c" },
      })
    )._unsafeUnwrap();
    expect(result.stdout).toBe(`a b $c|${process.env.PATH}`);
  });

  it("reports the signal that ended a command", async () => {
    const result = (await shell.run(["sh", "-c", "kill -9 $$"]))._unsafeUnwrap();
    expect(result.exitCode).toBeNull();
    expect(result.signal).toBe("SIGKILL");
  });

  it("kills the whole process group on timeout: a child sleep does not survive", async () => {
    const pidFile = join(dir, "pid");
    const error = (
      await shell.run(["sh", "-c", `sleep 60 & echo $! > ${pidFile}; wait`], { timeoutMs: 500 })
    )._unsafeUnwrapErr();
    expect(error.reason).toBe("timeout");
    const pid = Number((await readFile(pidFile, "utf8")).trim());
    expect(pid).toBeGreaterThan(0);
    await expect.poll(() => alive(pid), { timeout: 5000 }).toBe(false);
  });

  it("kills a child that ignores SIGTERM with SIGKILL after the grace", async () => {
    const pidFile = join(dir, "pid");
    const stubborn = new LocalShell({ killGraceMs: 200 });
    const error = (
      await stubborn.run(["sh", "-c", `trap '' TERM; sleep 60 & echo $! > ${pidFile}; wait`], {
        timeoutMs: 500,
      })
    )._unsafeUnwrapErr();
    expect(error.reason).toBe("timeout");
    const pid = Number((await readFile(pidFile, "utf8")).trim());
    await expect.poll(() => alive(pid), { timeout: 5000 }).toBe(false);
  });

  it("returns on timeout even when a descendant that left the group holds the output open", async () => {
    const pidFile = join(dir, "pid");
    const quick = new LocalShell({ killGraceMs: 100 });
    try {
      const error = (
        await quick.run(["sh", "-c", `setsid sleep 60 & echo $! > ${pidFile}; wait`], { timeoutMs: 300 })
      )._unsafeUnwrapErr();
      expect(error.reason).toBe("timeout");
    } finally {
      const pid = Number((await readFile(pidFile, "utf8").catch(() => "")).trim());
      if (pid > 0 && (await alive(pid))) process.kill(pid, "SIGKILL");
    }
  });

  it("kills the whole process group on abort", async () => {
    const pidFile = join(dir, "pid");
    const controller = new AbortController();
    const pending = shell.run(["sh", "-c", `sleep 60 & echo $! > ${pidFile}; wait`], {
      signal: controller.signal,
    });
    await expect.poll(() => readFile(pidFile, "utf8").catch(() => ""), { timeout: 5000 }).toMatch(/\d/);
    controller.abort();
    expect((await pending)._unsafeUnwrapErr().reason).toBe("aborted");
    const pid = Number((await readFile(pidFile, "utf8")).trim());
    await expect.poll(() => alive(pid), { timeout: 5000 }).toBe(false);
  });

  it("does not cut a UTF-8 character in half at the cap", async () => {
    const result = (await shell.run(["printf", "%s", "aé"], { maxOutputBytes: 2 }))._unsafeUnwrap();
    expect(result.truncated).toBe(true);
    expect(result.stdout).toBe("a");
  });

  it("returns invalid_input for bad env or cwd and runs nothing", async () => {
    const marker = join(dir, "ran");
    const write = ["sh", "-c", `echo > ${marker}`];
    const results = await Promise.all([
      shell.run(write, { env: { "A=B": "x" } }),
      shell.run(write, { env: { A: "x\0y" } }),
      shell.run(write, { cwd: "" }),
      shell.run(write, { stdin: 42 as unknown as string }),
      shell.run(write, { timeoutMs: 2 ** 31 }),
      new LocalShell({ killGraceMs: -1 }).run(write),
    ]);
    for (const result of results) expect(result._unsafeUnwrapErr().reason).toBe("invalid_input");
    await expect(stat(marker)).rejects.toThrow();
  });
});

describe("runChecked", () => {
  const shell = new LocalShell();

  it("passes a zero exit through", async () => {
    expect((await runChecked(shell, ["echo", "ok"]))._unsafeUnwrap().stdout).toBe("ok\n");
  });

  it("maps a non-zero exit to failed with stderr in the message and exitCode in details", async () => {
    const error = (
      await runChecked(shell, ["sh", "-c", "echo noise; echo 'dataset does not exist' >&2; exit 2"], {
        driver: "zfs",
        op: "rollback",
        label: "zfs rollback",
        hint: "use Path 2",
      })
    )._unsafeUnwrapErr();
    expect(error).toMatchObject({ driver: "zfs", op: "rollback", reason: "failed", hint: "use Path 2" });
    expect(error.message).toContain("zfs rollback");
    expect(error.message).toContain("code 2");
    expect(error.message).toContain("dataset does not exist");
    expect(error.details?.exitCode).toBe(2);
  });

  it("uses stdout when stderr is empty, and keeps the end of long output", async () => {
    const error = (
      await runChecked(shell, ["sh", "-c", "yes filler | head -n 2000; echo the-real-error; exit 1"])
    )._unsafeUnwrapErr();
    expect(error.message).toContain("the-real-error");
    expect(error.message.length).toBeLessThan(2300);
  });

  it("accepts okExitCodes", async () => {
    expect(
      (await runChecked(shell, ["sh", "-c", "exit 1"], { okExitCodes: [0, 1] }))._unsafeUnwrap().exitCode,
    ).toBe(1);
  });

  it("reports a command ended by a signal as failed", async () => {
    const error = (await runChecked(shell, ["sh", "-c", "kill -9 $$"]))._unsafeUnwrapErr();
    expect(error.reason).toBe("failed");
    expect(error.message).toContain("SIGKILL");
  });

  it("passes shell errors through unchanged", async () => {
    expect((await runChecked(shell, ["sleep", "30"], { timeoutMs: 200 }))._unsafeUnwrapErr().reason).toBe(
      "timeout",
    );
    expect((await runChecked(shell, []))._unsafeUnwrapErr().reason).toBe("invalid_input");
  });

  it("returns invalid_input for bad options and runs nothing", async () => {
    const marker = join(dir, "ran");
    const error = (
      await runChecked(shell, ["sh", "-c", `echo > ${marker}`], { okExitCodes: [-1] })
    )._unsafeUnwrapErr();
    expect(error.reason).toBe("invalid_input");
    await expect(stat(marker)).rejects.toThrow();
  });
});

describe("LocalShellFiles", () => {
  const files = new LocalShellFiles();

  it("reads a file, and returns not_found for a missing one", async () => {
    const path = join(dir, "a.txt");
    await writeFile(path, "hello");
    expect(Buffer.from((await files.readFile(path))._unsafeUnwrap()).toString()).toBe("hello");
    expect((await files.readFile(join(dir, "nope")))._unsafeUnwrapErr().reason).toBe("not_found");
  });

  it("writes atomically, keeps the mode, and leaves no temp file", async () => {
    const path = join(dir, "haproxy.cfg");
    await writeFile(path, "old", { mode: 0o640 });
    (await files.writeFileAtomic(path, "new config\n"))._unsafeUnwrap();
    expect(await readFile(path, "utf8")).toBe("new config\n");
    expect((await stat(path)).mode & 0o777).toBe(0o640);
    const { readdir } = await import("node:fs/promises");
    expect(await readdir(dir)).toEqual(["haproxy.cfg"]);
  });

  it("creates a new file with 0644 or the given mode, from bytes", async () => {
    const path = join(dir, "new.bin");
    (await files.writeFileAtomic(path, new Uint8Array([0, 1, 2, 255]), { mode: 0o600 }))._unsafeUnwrap();
    expect([...(await readFile(path))]).toEqual([0, 1, 2, 255]);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const plain = join(dir, "plain.txt");
    (await files.writeFileAtomic(plain, "x"))._unsafeUnwrap();
    expect((await stat(plain)).mode & 0o777).toBe(0o644);
  });

  it("writes a new file in place with mode 0644; refuses one that exists, leaving it as it was", async () => {
    const path = join(dir, ".candidate.new");
    (await files.writeNewFile(path, "candidate\n"))._unsafeUnwrap();
    expect(await readFile(path, "utf8")).toBe("candidate\n");
    expect((await stat(path)).mode & 0o777).toBe(0o644);
    const error = (await files.writeNewFile(path, "other\n"))._unsafeUnwrapErr();
    expect(error).toMatchObject({ op: "writeNewFile", reason: "failed", details: { code: "EEXIST" } });
    expect(await readFile(path, "utf8")).toBe("candidate\n");
    const missing = (await files.writeNewFile(join(dir, "missing", "f"), "x"))._unsafeUnwrapErr();
    expect(missing).toMatchObject({
      reason: "not_found",
      message: `the directory of ${dir}/missing/f does not exist`,
    });
    const { readdir } = await import("node:fs/promises");
    expect(await readdir(dir)).toEqual([".candidate.new"]);
  });

  it("returns not_found when the directory is missing", async () => {
    const error = (await files.writeFileAtomic(join(dir, "missing", "f"), "x"))._unsafeUnwrapErr();
    expect(error.reason).toBe("not_found");
  });

  it("returns invalid_input for bad paths, data or mode and writes nothing", async () => {
    const path = join(dir, "f");
    const results = await Promise.all([
      files.writeFileAtomic("relative/f", "x"),
      files.writeFileAtomic(`${dir}/../f`, "x"),
      files.writeFileAtomic(`${path}\0`, "x"),
      files.writeFileAtomic(path, 42 as unknown as string),
      files.writeFileAtomic(path, "x", { mode: 0o170000 }),
      files.readFile("relative"),
    ]);
    for (const result of results) expect(result._unsafeUnwrapErr().reason).toBe("invalid_input");
    const { readdir } = await import("node:fs/promises");
    expect(await readdir(dir)).toEqual([]);
  });
});
