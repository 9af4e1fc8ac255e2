import { driverError, stepHandle } from "@backflip/core";
import { recordingShell, scriptedHost, stepContext } from "@backflip/core/testing/fakes";
import { describe, expect, it } from "vitest";

describe("recordingShell", () => {
  it("records argv, options and stdin, and answers exit 0 with no output by default", async () => {
    const shell = recordingShell();
    const result = (
      await shell.run(["haproxy", "-c", "-f", "/etc/haproxy/haproxy.cfg"], { stdin: "x" })
    )._unsafeUnwrap();
    expect(result).toMatchObject({ exitCode: 0, signal: null, stdout: "", stderr: "", truncated: false });
    (await shell.run(["cat"], { stdin: new TextEncoder().encode("bytes"), timeoutMs: 5 }))._unsafeUnwrap();
    expect(shell.argvs()).toEqual([["haproxy", "-c", "-f", "/etc/haproxy/haproxy.cfg"], ["cat"]]);
    expect(shell.calls.map((c) => c.stdin)).toEqual(["x", "bytes"]);
    expect(shell.calls[1]?.options?.timeoutMs).toBe(5);
  });

  it("answers from its script: output, exit codes, signals, errors, and unscripted calls fail", async () => {
    const lost = driverError({ driver: "ssh", op: "run", reason: "unavailable", message: "connection lost" });
    const shell = recordingShell(
      (argv) =>
        ({
          cat: { stdout: "blue\n" },
          false: { exitCode: 1, stderr: "no" },
          sleep: { signal: "SIGKILL" },
          ssh: lost,
        })[argv[0] ?? ""],
      { name: "ssh:ops@edge", location: { kind: "ssh", host: "edge", user: "ops" } },
    );
    expect(shell.name).toBe("ssh:ops@edge");
    expect(shell.location).toEqual({ kind: "ssh", host: "edge", user: "ops" });
    expect(shell.files).toBeUndefined();
    expect((await shell.run(["cat", "/x"]))._unsafeUnwrap().stdout).toBe("blue\n");
    expect((await shell.run(["false"]))._unsafeUnwrap()).toMatchObject({ exitCode: 1, stderr: "no" });
    expect((await shell.run(["sleep", "9"]))._unsafeUnwrap()).toMatchObject({
      exitCode: null,
      signal: "SIGKILL",
    });
    expect((await shell.run(["ssh"]))._unsafeUnwrapErr()).toBe(lost);
    const unscripted = (await shell.run(["rm", "-rf", "/"]))._unsafeUnwrapErr();
    expect(unscripted).toMatchObject({ reason: "failed", message: "not scripted: rm -rf /" });
    expect(shell.calls).toHaveLength(5);
  });
});

describe("scriptedHost", () => {
  it("serves its files through the files capability, recording each use", async () => {
    const host = scriptedHost({ files: { "/etc/nginx/live.conf": "blue\n" } });
    const files = host.files!;
    expect(new TextDecoder().decode((await files.readFile("/etc/nginx/live.conf"))._unsafeUnwrap())).toBe(
      "blue\n",
    );
    expect((await files.readFile("/etc/nginx/none"))._unsafeUnwrapErr().reason).toBe("not_found");
    (await files.writeFileAtomic("/etc/nginx/.live.conf.new", "green\n", { mode: 0o600 }))._unsafeUnwrap();
    expect(host.fs.get("/etc/nginx/.live.conf.new")?.mode).toBe(0o600);
    const listed = (await files.list!("/etc/nginx"))._unsafeUnwrap();
    expect(listed.map((e) => e.name).sort()).toEqual([".live.conf.new", "live.conf"]);
    (await files.rename!("/etc/nginx/.live.conf.new", "/etc/nginx/live.conf"))._unsafeUnwrap();
    expect(host.text("/etc/nginx/live.conf")).toBe("green\n");
    expect(host.fs.get("/etc/nginx/live.conf")?.mode).toBe(0o600);
    expect((await files.rename!("/etc/nginx/.live.conf.new", "/x"))._unsafeUnwrapErr().reason).toBe(
      "not_found",
    );
    (await files.remove!("/etc/nginx/live.conf"))._unsafeUnwrap();
    (await files.remove!("/etc/nginx/live.conf"))._unsafeUnwrap();
    expect(host.text("/etc/nginx/live.conf")).toBeUndefined();
    expect(host.fileOps.map((o) => o.op)).toEqual([
      "read",
      "read",
      "write",
      "list",
      "rename",
      "rename",
      "remove",
      "remove",
    ]);
    expect(host.calls).toEqual([]);
  });

  it("runs the file commands a driver falls back to on the same files, without the files capability", async () => {
    const host = scriptedHost({ fileApi: false, files: { "/srv/a": "one\n" } });
    expect(host.files).toBeUndefined();
    const run = async (argv: string[], stdin?: string) =>
      (await host.run(argv, stdin === undefined ? {} : { stdin }))._unsafeUnwrap();
    expect((await run(["cat", "--", "/srv/a"])).stdout).toBe("one\n");
    expect(await run(["cat", "--", "/srv/missing"])).toMatchObject({
      exitCode: 1,
      stderr: "cat: /srv/missing: No such file or directory\n",
    });
    expect((await run(["dd", "of=/srv/.b.tmp", "conv=fsync"], "two\n")).exitCode).toBe(0);
    expect((await run(["mv", "-f", "--", "/srv/.b.tmp", "/srv/b"])).exitCode).toBe(0);
    expect((await run(["sync", "--", "/srv"])).exitCode).toBe(0);
    expect(host.text("/srv/b")).toBe("two\n");
    expect(host.fs.has("/srv/.b.tmp")).toBe(false);
    expect((await run(["mv", "-f", "--", "/srv/.b.tmp", "/srv/b"])).exitCode).toBe(1);
    expect((await run(["rm", "-f", "--", "/srv/a", "/srv/never"])).exitCode).toBe(0);
    expect((await run(["rm", "--", "/srv/never"])).exitCode).toBe(1);
    expect([...host.fs.keys()]).toEqual(["/srv/b"]);
    expect(await run(["haproxy", "-v"])).toMatchObject({ exitCode: 127, stderr: "sh: haproxy: not found\n" });
    expect(host.argvs()[0]).toEqual(["cat", "--", "/srv/a"]);
  });

  it("runs its programs with argv, stdin and the host's files; they replace the built-ins", async () => {
    const host = scriptedHost({
      name: "incus:edge",
      location: { kind: "incus", instance: "edge" },
      files: { "/etc/nginx/nginx.conf": "events {}\n" },
      programs: {
        nginx: ({ argv, host: h }) =>
          argv.includes("-t") && h.text("/etc/nginx/nginx.conf")?.includes("events")
            ? { stderr: "syntax is ok\n" }
            : { exitCode: 1, stderr: "emerg\n" },
        cat: ({ stdin }) => ({ stdout: stdin.toUpperCase() }),
        tee: ({ argv, stdin, host: h }) => {
          h.write(argv[1]!, stdin);
          return { stdout: stdin };
        },
      },
    });
    expect(host.location).toEqual({ kind: "incus", instance: "edge" });
    expect((await host.run(["nginx", "-t"]))._unsafeUnwrap()).toMatchObject({
      exitCode: 0,
      stderr: "syntax is ok\n",
    });
    expect((await host.run(["cat", "/etc/nginx/nginx.conf"], { stdin: "abc" }))._unsafeUnwrap().stdout).toBe(
      "ABC",
    );
    (await host.run(["tee", "/etc/nginx/nginx.conf"], { stdin: "broken" }))._unsafeUnwrap();
    expect((await host.run(["nginx", "-t"]))._unsafeUnwrap().exitCode).toBe(1);
    expect(host.calls.map((c) => c.stdin)).toEqual([undefined, "abc", "broken", undefined]);
  });
});

describe("stepContext", () => {
  it("has defaults, returns the given outputs and keeps what the step logs", () => {
    const ctx = stepContext({ runId: "r1", outputs: { "read-state": { activeColor: "blue" } } });
    expect(ctx).toMatchObject({ runId: "r1", env: "staging", actor: "alice", acknowledgeDataLoss: false });
    expect(ctx.signal.aborted).toBe(false);
    expect(ctx.output(stepHandle("read-state"))).toEqual({ activeColor: "blue" });
    expect(ctx.output(stepHandle("other"))).toBeUndefined();
    ctx.log("one");
    ctx.log("two");
    expect(ctx.logs).toEqual(["one", "two"]);
    const aborted = stepContext({ signal: AbortSignal.abort(), acknowledgeDataLoss: true, env: "prod" });
    expect(aborted).toMatchObject({ env: "prod", acknowledgeDataLoss: true });
    expect(aborted.signal.aborted).toBe(true);
    expect(ctx.fence).toBeUndefined();
    expect(stepContext({ fence: { key: "staging", token: 7 } }).fence).toEqual({ key: "staging", token: 7 });
  });
});
