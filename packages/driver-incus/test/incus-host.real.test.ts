import { existsSync } from "node:fs";
import { renderAction } from "@backflip/core";
import { runContainerHostConformance, runShellConformance, skipUnlessBackend } from "@backflip/core/testing";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createIncusHost } from "../src/create-incus-host";
import type { IncusHost } from "../src/incus-host";
import { destroy, incus, incusAvailable, incusSocket, launch, paste } from "./incus-lab";

const skip = skipUnlessBackend(await incusAvailable(), "incus", "scripts/backends up incus");
const tag = process.pid.toString(36);
const RUNNING = `bf-incus-run-${tag}`;
const STOPPED = `bf-incus-off-${tag}`;
const created: string[] = [];

function newHost(): IncusHost {
  return createIncusHost({ socketPath: incusSocket, stopTimeoutS: 10 })._unsafeUnwrap();
}

describe.skipIf(skip)("incus (real)", () => {
  beforeAll(async () => {
    created.push(await launch(RUNNING), await launch(STOPPED, { stopped: true }));
  });
  afterAll(async () => {
    for (const name of created) await destroy(name);
  });

  runContainerHostConformance({
    name: "incus (real)",
    async setup() {
      const host = newHost();
      return {
        port: host,
        fixtures: {
          running: RUNNING,
          stopped: STOPPED,
          missing: `bf-incus-missing-${tag}`,
          statInShell: true,
          requests: () => host.requestsSent,
          disposable: async () => {
            const name = await launch(`bf-incus-tmp-${tag}-${created.length}`);
            created.push(name);
            return name;
          },
        },
        teardown: async () => void (await host.close()),
      };
    },
  });

  runShellConformance({
    name: "incus exec (real)",
    async setup() {
      const host = newHost();
      return { port: host.shell(RUNNING), fixtures: {}, teardown: async () => void (await host.close()) };
    },
  });

  describe("busybox containers", () => {
    let host: IncusHost;
    beforeAll(() => {
      host = newHost();
    });
    afterAll(async () => {
      await host.close();
    });

    it("prints dry-run lines that, pasted into sh, run the same calls on the real Incus", async () => {
      const listed = await paste(renderAction(host.describe({ op: "list", names: [RUNNING, STOPPED] })[0]!));
      expect(listed.trim().split("\n").sort()).toEqual([`${RUNNING},RUNNING`, `${STOPPED},STOPPED`].sort());
      const marker = `/tmp/bf-injected-${tag}`;
      const hostile = [
        `$(touch ${marker})`,
        `a'b"c; touch ${marker}`,
        `line\ntouch ${marker}`,
        `\`touch ${marker}\``,
      ];
      const where = host.shell(RUNNING).location!;
      expect(where).toEqual({ kind: "incus", instance: RUNNING });
      const line = renderAction({ kind: "exec", where, argv: ["printf", "<%s>", ...hostile] });
      expect(await paste(line)).toBe(hostile.map((a) => `<${a}>`).join(""));
      // Neither the local shell nor the one in the instance ran the injected touch.
      expect(existsSync(marker)).toBe(false);
      const read = renderAction({ kind: "file", op: "read", where, path: marker });
      expect(await paste(read).catch(() => "absent")).toBe("absent");
    });

    it("stops gracefully within the timeout and starts again", async () => {
      (await host.stop(RUNNING, { timeoutS: 20 }))._unsafeUnwrap();
      expect((await host.state(RUNNING))._unsafeUnwrap()).toMatchObject({
        status: "Stopped",
        statusCode: 102,
        running: false,
      });
      (await host.start(RUNNING))._unsafeUnwrap();
      expect((await host.state(RUNNING))._unsafeUnwrap()).toMatchObject({
        status: "Running",
        statusCode: 103,
        running: true,
      });
    });

    it("refuses to run a command in a stopped container with conflict and Incus's message", async () => {
      const e = (await host.shell(STOPPED).run(["true"]))._unsafeUnwrapErr();
      expect(e.reason).toBe("conflict");
      expect(e.message).toContain("Instance is not running");
      expect(e.hint).toContain(`incus start ${STOPPED}`);
    });

    it("keeps every byte of output of fast concurrent commands, and leaves no stdin file or exec log behind", async () => {
      const shell = host.shell(RUNNING);
      const runs = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          shell.run(["sh", "-c", 'cat; echo "err $0" >&2', String(i)], { stdin: `in ${i}\n` }),
        ),
      );
      for (const [i, r] of runs.entries()) {
        expect(r._unsafeUnwrap()).toMatchObject({ exitCode: 0, stdout: `in ${i}\n`, stderr: `err ${i}\n` });
      }
      const tmp = (await shell.run(["ls", "-a", "/tmp"]))._unsafeUnwrap();
      expect(tmp.stdout).not.toContain(".backflip-stdin-");
      // The logs are deleted in the background, right after they were read.
      await expect
        .poll(async () => JSON.parse(await incus("query", `/1.0/instances/${RUNNING}/logs/exec-output`)), {
          timeout: 5000,
        })
        .toEqual([]);
    });

    it("passes env and cwd to the command", async () => {
      const r = (
        await host
          .shell(RUNNING)
          .run(["sh", "-c", 'echo "$GREETING $(pwd)"'], { env: { GREETING: "hi" }, cwd: "/tmp" })
      )._unsafeUnwrap();
      expect(r.stdout).toBe("hi /tmp\n");
    });

    it("ends the remote command and its children on timeout, even when they ignore SIGTERM", async () => {
      const shell = host.shell(RUNNING);
      const polite = (
        await shell.run(["sh", "-c", "sleep 4321; echo never"], { timeoutMs: 300 })
      )._unsafeUnwrapErr();
      expect(polite.reason).toBe("timeout");
      const stubborn = (
        await shell.run(["sh", "-c", "trap '' TERM; sleep 4322 & sleep 4323; wait"], { timeoutMs: 300 })
      )._unsafeUnwrapErr();
      expect(stubborn.reason).toBe("timeout");
      const ps = (await shell.run(["ps", "-o", "args"]))._unsafeUnwrap();
      expect(ps.stdout).not.toMatch(/sleep 432[123]/);
    });

    it("ends the remote command and its children on abort", async () => {
      const shell = host.shell(RUNNING);
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 300);
      const e = (
        await shell.run(["sh", "-c", "sleep 4324 & sleep 4325"], { signal: controller.signal })
      )._unsafeUnwrapErr();
      expect(e.reason).toBe("aborted");
      const ps = (await shell.run(["ps", "-o", "args"]))._unsafeUnwrap();
      expect(ps.stdout).not.toMatch(/sleep 432[45]/);
    });

    it("pushes a file with owner and mode, keeps them on replace, and follows symlinks on pull", async () => {
      const path = `/root/bf-owned-${tag}.conf`;
      (await host.pushFile(RUNNING, path, "one\n", { mode: 0o600, uid: 1234, gid: 2345 }))._unsafeUnwrap();
      (await host.pushFile(RUNNING, path, "two\n"))._unsafeUnwrap();
      const st = (await host.shell(RUNNING).run(["stat", "-c", "%a %u %g", path]))._unsafeUnwrap();
      expect(st.stdout).toBe("600 1234 2345\n");
      (await host.shell(RUNNING).run(["ln", "-sf", path, "/root/link.conf"]))._unsafeUnwrap();
      expect(
        new TextDecoder().decode((await host.pullFile(RUNNING, "/root/link.conf"))._unsafeUnwrap()),
      ).toBe("two\n");
      const dir = (await host.pullFile(RUNNING, "/root"))._unsafeUnwrapErr();
      expect(dir.reason).toBe("invalid_input");
    });

    it("exposes the files capability on the shell", async () => {
      const files = host.shell(RUNNING).files;
      const path = `/tmp/bf-files-${tag}`;
      (await files?.writeFileAtomic(path, "via shell", { mode: 0o644 }))?._unsafeUnwrap();
      expect(new TextDecoder().decode((await files?.readFile(path))?._unsafeUnwrap())).toBe("via shell");
    });

    it("lists a directory through the shell's files, with each entry's mtime", async () => {
      const files = host.shell(RUNNING).files;
      const dir = `/tmp/bf-list-${tag}`;
      (await host.shell(RUNNING).run(["mkdir", "-p", dir]))._unsafeUnwrap();
      for (const name of ["a", "b.conf"])
        (await files?.writeFileAtomic(`${dir}/${name}`, name))?._unsafeUnwrap();
      (await host.shell(RUNNING).run(["touch", "-d", "2020-01-02 03:04:05", `${dir}/a`]))._unsafeUnwrap();
      const entries = (await files?.list?.(dir))?._unsafeUnwrap() ?? [];
      expect(entries.map((e) => e.name).sort()).toEqual(["a", "b.conf"]);
      const mtime = (name: string) => entries.find((e) => e.name === name)?.mtimeMs ?? Number.NaN;
      expect(new Date(mtime("a")).toISOString()).toBe("2020-01-02T03:04:05.000Z");
      expect(Math.abs(mtime("b.conf") - Date.now())).toBeLessThan(60_000);
      expect((await host.listFiles(RUNNING, `${dir}/missing`))._unsafeUnwrapErr().reason).toBe("not_found");
    });

    it("renames and removes files through the shell's files, and reads /proc files whole", async () => {
      const files = host.shell(RUNNING).files;
      const from = `/tmp/bf-from-${tag}`;
      const to = `/tmp/bf-to-${tag}`;
      (await files?.writeFileAtomic(from, "moved"))?._unsafeUnwrap();
      (await files?.writeFileAtomic(to, "old"))?._unsafeUnwrap();
      (await files?.rename?.(from, to))?._unsafeUnwrap();
      expect(new TextDecoder().decode((await host.pullFile(RUNNING, to))._unsafeUnwrap())).toBe("moved");
      expect((await host.pullFile(RUNNING, from))._unsafeUnwrapErr().reason).toBe("not_found");
      (await files?.remove?.(to))?._unsafeUnwrap();
      (await files?.remove?.(to))?._unsafeUnwrap();
      expect((await host.pullFile(RUNNING, to))._unsafeUnwrapErr().reason).toBe("not_found");
      const cmdline = new TextDecoder().decode(
        (await host.pullFile(RUNNING, "/proc/1/cmdline"))._unsafeUnwrap(),
      );
      expect(cmdline).toContain("init");
    });

    it("links a file over another through the shell's files: one inode, the old name replaced, no temp left", async () => {
      const files = host.shell(RUNNING).files;
      const dir = `/tmp/bf-link-${tag}`;
      (await host.shell(RUNNING).run(["mkdir", "-p", dir]))._unsafeUnwrap();
      (await files?.writeFileAtomic(`${dir}/live`, "kept as it is"))?._unsafeUnwrap();
      (await files?.writeFileAtomic(`${dir}/live.prev`, "older"))?._unsafeUnwrap();
      (await files?.link?.(`${dir}/live`, `${dir}/live.prev`))?._unsafeUnwrap();
      const inodes = (
        await host.shell(RUNNING).run(["stat", "-c", "%i %h", `${dir}/live`, `${dir}/live.prev`])
      )._unsafeUnwrap();
      const [a, b] = inodes.stdout.trim().split("\n");
      expect(a).toBe(b);
      expect(a?.endsWith(" 2")).toBe(true);
      expect(
        new TextDecoder().decode((await host.pullFile(RUNNING, `${dir}/live.prev`))._unsafeUnwrap()),
      ).toBe("kept as it is");
      // A missing source leaves the target as it was.
      const missing = (await host.linkFile(RUNNING, `${dir}/gone`, `${dir}/live.prev`))._unsafeUnwrapErr();
      expect(missing.reason).toBe("not_found");
      expect(
        new TextDecoder().decode((await host.pullFile(RUNNING, `${dir}/live.prev`))._unsafeUnwrap()),
      ).toBe("kept as it is");
      expect(((await files?.list?.(dir))?._unsafeUnwrap() ?? []).map((e) => e.name).sort()).toEqual([
        "live",
        "live.prev",
      ]);
    });

    it("writes into a stopped container, and stops one right after a write (its file session ends first)", async () => {
      (await host.pushFile(STOPPED, "/root/while-off", "written while stopped\n"))._unsafeUnwrap();
      expect(
        new TextDecoder().decode((await host.pullFile(STOPPED, "/root/while-off"))._unsafeUnwrap()),
      ).toBe("written while stopped\n");
      (await host.pushFile(RUNNING, "/root/before-stop", "x"))._unsafeUnwrap();
      (await host.stop(RUNNING, { timeoutS: 20 }))._unsafeUnwrap();
      (await host.start(RUNNING))._unsafeUnwrap();
      expect((await host.pullFile(RUNNING, "/root/before-stop"))._unsafeUnwrap()).toEqual(
        new TextEncoder().encode("x"),
      );
    });

    it("reads config with an ETag and writes conditionally with If-Match", async () => {
      const read = (await host.readConfig(RUNNING))._unsafeUnwrap();
      (await host.patchConfig(RUNNING, { "user.backflip": "one" }, { etag: read.etag }))._unsafeUnwrap();
      expect((await host.readConfig(RUNNING))._unsafeUnwrap().config["user.backflip"]).toBe("one");
      const stale = (
        await host.patchConfig(RUNNING, { "user.backflip": "two" }, { etag: read.etag })
      )._unsafeUnwrapErr();
      expect(stale.reason).toBe("conflict");
      expect(stale.details?.status).toBe(412);
      expect((await host.readConfig(RUNNING))._unsafeUnwrap().config["user.backflip"]).toBe("one");
    });

    it("lists snapshots oldest first", async () => {
      (await host.createSnapshot(RUNNING, "first"))._unsafeUnwrap();
      (await host.createSnapshot(RUNNING, "second"))._unsafeUnwrap();
      const names = (await host.listSnapshots(RUNNING))._unsafeUnwrap().map((s) => s.name);
      expect(names.indexOf("first")).toBeLessThan(names.indexOf("second"));
      for (const s of ["first", "second"]) (await host.deleteSnapshot(RUNNING, s))._unsafeUnwrap();
    });
  });

  describe("fast-flip pre-check (runbook Path 1)", () => {
    const colors = ["backend", "stream", "web"].map((c) => `bf-incus-${c}-blue`);
    let host: IncusHost;
    beforeAll(async () => {
      host = newHost();
      for (const name of colors) created.push(await launch(name));
      await incus("stop", "--force", "bf-incus-stream-blue");
    });
    afterEach(() => undefined);
    afterAll(async () => {
      await host.close();
    });

    it("lists the three target containers by the runbook's pattern and names the one not RUNNING", async () => {
      const found = (await host.list({ pattern: "bf-incus-{backend,stream,web}-blue" }))._unsafeUnwrap();
      expect(found.map((i) => i.name)).toEqual(colors);
      const notRunning = found.filter((i) => !i.running);
      expect(notRunning).toEqual([
        { name: "bf-incus-stream-blue", status: "Stopped", statusCode: 102, running: false },
      ]);
    });
  });
});
