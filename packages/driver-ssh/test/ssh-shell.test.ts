import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect } from "node:util";
import { type DriverError, formatDriverError, LocalShell } from "@backflip/core";
import { afterAll, describe, expect, it } from "vitest";
import { SshShell } from "../src/ssh-shell";
import { sshd, sshdFingerprint, sshdOptions, sshdSkip } from "./sshd-target";

const local = new LocalShell();
const marker = () => `bf-ssh-${process.pid}-${Math.random().toString(36).slice(2)}`;

/** Everything an error could leak through: message, hint, details and the cause (message and stack). */
function everything(error: DriverError): string {
  const cause = error.cause as Error | undefined;
  return [
    formatDriverError(error),
    JSON.stringify(error.details ?? {}),
    cause?.message,
    cause?.stack,
    inspect(error, { depth: 6 }),
  ].join("\n");
}

/** Waits until `pid` no longer runs (a SIGKILLed process disappears within moments). */
async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 50; i++) {
    if (!existsSync(`/proc/${pid}`)) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

describe.skipIf(sshdSkip)("SshShell against the loopback OpenSSH server", () => {
  const shells: SshShell[] = [];
  const open = (overrides: Parameters<typeof sshdOptions>[0] = {}) => {
    const shell = SshShell.create(sshdOptions(overrides))._unsafeUnwrap();
    shells.push(shell);
    return shell;
  };
  afterAll(async () => {
    for (const shell of shells) await shell.close();
  });

  it("reuses one connection for many commands, a channel each", async () => {
    const shell = open();
    const ports = new Set<string>();
    for (let i = 0; i < 5; i++) {
      const r = (await shell.run(["sh", "-c", 'echo "$SSH_CONNECTION"']))._unsafeUnwrap();
      ports.add(r.stdout.split(" ")[1] ?? "");
    }
    const parallel = await Promise.all(
      Array.from({ length: 12 }, () => shell.run(["sh", "-c", 'sleep 0.2; echo "$SSH_CONNECTION"'])),
    );
    for (const r of parallel) ports.add(r._unsafeUnwrap().stdout.split(" ")[1] ?? "");
    expect(ports.size).toBe(1);
    expect(shell.connectionsOpened).toBe(1);
  });

  it("reconnects after the connection drops", async () => {
    const shell = open();
    const before = (await shell.run(["sh", "-c", 'echo "$SSH_CONNECTION"']))._unsafeUnwrap().stdout;
    // Kill the server-side process of this very connection: the TCP connection drops.
    const dropped = await shell.run(["sh", "-c", "kill -9 $PPID; sleep 5"]);
    if (dropped.isErr()) expect(dropped.error.reason).toBe("unavailable");
    const after = await shell.run(["sh", "-c", 'echo "$SSH_CONNECTION"']);
    expect(after._unsafeUnwrap().stdout).not.toBe(before);
    expect(shell.connectionsOpened).toBe(2);
  });

  // sshd delivers `signal` requests only to non-root sessions; for root the driver
  // kills the process group over a second channel. Both must leave nothing running.
  for (const [who, username] of [
    ["an unprivileged login", sshd?.SSH_USER],
    ["root", sshd?.SSH_ROOT_USER],
  ] as const) {
    it(`ends the remote command on timeout, as ${who}: its process is gone`, async () => {
      const shell = open({ killGraceMs: 500, ...(username ? { username } : {}) });
      const pidFile = join(tmpdir(), `${marker()}.pid`);
      const r = await shell.run(["sh", "-c", `echo $$ > ${pidFile}; exec sleep 300`], { timeoutMs: 1500 });
      expect(r._unsafeUnwrapErr().reason).toBe("timeout");
      const pid = Number(readFileSync(pidFile, "utf8"));
      expect(pid).toBeGreaterThan(1);
      expect(await gone(pid)).toBe(true);
      await rm(pidFile, { force: true });
    });
  }

  it("notices a silent server through keepalives, then reconnects and runs the command", async () => {
    const shell = open({ keepaliveIntervalMs: 200, keepaliveCountMax: 2 });
    const serverSide = Number((await shell.run(["sh", "-c", "echo $PPID"]))._unsafeUnwrap().stdout);
    // Freeze this connection's sshd process: the TCP connection stays up but nothing answers.
    process.kill(serverSide, "SIGSTOP");
    try {
      const r = await shell.run(["echo", "again"]);
      expect(r._unsafeUnwrap().stdout).toBe("again\n");
      expect(shell.connectionsOpened).toBe(2);
    } finally {
      process.kill(serverSide, "SIGCONT");
    }
  });

  it("ends the remote command and its children on abort", async () => {
    const shell = open({ killGraceMs: 500 });
    const pidFile = join(tmpdir(), `${marker()}.pid`);
    const controller = new AbortController();
    const pending = shell.run(["sh", "-c", `sleep 300 & echo $! > ${pidFile}; wait`], {
      signal: controller.signal,
    });
    await new Promise((r) => setTimeout(r, 600));
    controller.abort();
    expect((await pending)._unsafeUnwrapErr().reason).toBe("aborted");
    const child = Number(readFileSync(pidFile, "utf8"));
    expect(await gone(child)).toBe(true);
    await rm(pidFile, { force: true });
  });

  it("reports the signal that ended a command", async () => {
    const r = (await open().run(["sh", "-c", "kill -TERM $$"]))._unsafeUnwrap();
    expect(r.exitCode).toBeNull();
    expect(r.signal).toBe("SIGTERM");
  });

  it("streams a stdin larger than the channel window", async () => {
    const big = Buffer.alloc(8 * 1024 * 1024, "x");
    const r = (await open().run(["wc", "-c"], { stdin: big, timeoutMs: 30_000 }))._unsafeUnwrap();
    expect(r.stdout.trim()).toBe(String(big.length));
  });

  it("runs in cwd with extra environment variables, quoting both", async () => {
    const dir = await mkdtemp(join(tmpdir(), "bf ssh 'dir' "));
    await chmod(dir, 0o755);
    const r = (
      await open().run(["sh", "-c", 'pwd; printf "%s" "$BF_VALUE"'], {
        cwd: dir,
        env: { BF_VALUE: "a b 'c' $HOME" },
      })
    )._unsafeUnwrap();
    expect(r.stdout).toBe(`${dir}\na b 'c' $HOME`);
    await rm(dir, { recursive: true });
  });

  it("returns not_found for a missing working directory", async () => {
    const r = await open().run(["true"], { cwd: "/nonexistent/backflip" });
    expect(r._unsafeUnwrapErr().reason).toBe("not_found");
  });

  it("accepts a pinned SHA256 fingerprint", async () => {
    const shell = open({ hostKey: { fingerprint: sshdFingerprint() } });
    expect((await shell.run(["echo", "pinned"]))._unsafeUnwrap().stdout).toBe("pinned\n");
  });

  it("refuses an unknown host and names the fingerprint to pin", async () => {
    const shell = open({ hostKey: { knownHosts: "# nothing known yet\n" } });
    const e = (await shell.run(["echo", "never"]))._unsafeUnwrapErr();
    expect(e.reason).toBe("unauthorized");
    expect(e.message).toContain("unknown");
    expect(e.message).toContain(sshdFingerprint());
    expect(e.hint).toContain(`fingerprint: "${sshdFingerprint()}"`);
  });

  it("refuses a host whose key does not match the pin", async () => {
    const wrong = "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    const e = (await open({ hostKey: { fingerprint: wrong } }).run(["echo", "never"]))._unsafeUnwrapErr();
    expect(e.reason).toBe("unauthorized");
    expect(e.message).toContain("MISMATCH");
    expect(e.details?.fingerprint).toBe(sshdFingerprint());
  });

  it("refuses a known_hosts entry with another key for the same host", async () => {
    const other = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBwqRU1bq9zyjLwuZ4S2vtpGHy9H1vQv9s6tXw6Wq0rY";
    const e = (
      await open({ hostKey: { knownHosts: `[${sshd?.SSH_HOST}]:${sshd?.SSH_PORT} ${other}\n` } }).run([
        "true",
      ])
    )._unsafeUnwrapErr();
    expect(e.message).toContain("MISMATCH");
  });

  it("refuses a jump host whose key is unknown, naming the jump", async () => {
    const shell = open({ jump: sshdOptions({ hostKey: { knownHosts: "# empty\n" } }) });
    const e = (await shell.run(["true"]))._unsafeUnwrapErr();
    expect(e.reason).toBe("unauthorized");
    expect(e.message).toContain("jump host");
  });

  it("reaches the target through the jump host's TCP forward", async () => {
    const viaJump = open({ jump: sshdOptions() });
    expect(viaJump.name).toContain(" via ");
    const seen = (await viaJump.run(["sh", "-c", 'echo "$SSH_CONNECTION"']))
      ._unsafeUnwrap()
      .stdout.split(" ");
    // The target's client socket is the jump sshd's forward, not this process.
    const owner = await local.run(["ss", "-Htnp", "state", "established", `( sport = :${seen[1]} )`]);
    const line = owner._unsafeUnwrap().stdout;
    expect(line).toContain("sshd");
    expect(line).not.toContain(`pid=${process.pid},`);
  });

  it("never shows the private key in errors or when inspected", async () => {
    const dir = await mkdtemp(join(tmpdir(), "bf-ssh-key-"));
    const keyFile = join(dir, "stranger");
    (await local.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", keyFile]))._unsafeUnwrap();
    const key = readFileSync(keyFile, "utf8");
    const body = key.split("\n")[1] ?? "";
    expect(body.length).toBeGreaterThan(20);

    const stranger = open({ privateKey: key, privateKeyPath: undefined });
    const denied = (await stranger.run(["true"]))._unsafeUnwrapErr();
    expect(denied.reason).toBe("unauthorized");
    expect(everything(denied)).not.toContain(body);
    expect(inspect(stranger, { depth: 8, showHidden: true })).not.toContain(body);

    const garbled = open({
      privateKey: key.replace("OPENSSH PRIVATE KEY-----\n", "OPENSSH PRIVATE KEY-----\nzz"),
      privateKeyPath: undefined,
    });
    const broken = (await garbled.run(["true"]))._unsafeUnwrapErr();
    expect(broken.reason).toBe("invalid_input");
    expect(everything(broken)).not.toContain(body.slice(4, 40));

    (await local.run(["ssh-keygen", "-q", "-p", "-N", "s3cret-passphrase", "-f", keyFile]))._unsafeUnwrap();
    const encrypted = readFileSync(keyFile, "utf8");
    const wrongPass = open({ privateKey: encrypted, privateKeyPath: undefined, passphrase: "not-it" });
    const locked = (await wrongPass.run(["true"]))._unsafeUnwrapErr();
    expect(locked.message).toContain("passphrase");
    expect(everything(locked)).not.toContain("not-it");
    expect(everything(locked)).not.toContain((encrypted.split("\n")[1] ?? "").slice(0, 40));
    await rm(dir, { recursive: true });
  });

  it("authenticates through an ssh-agent holding the key (no key given)", async () => {
    const dir = await mkdtemp(join(tmpdir(), "bf-ssh-agent-"));
    const socket = join(dir, "agent.sock");
    const agent = spawn("ssh-agent", ["-D", "-a", socket], { stdio: "ignore" });
    try {
      for (let i = 0; i < 50 && !existsSync(socket); i++) await new Promise((r) => setTimeout(r, 100));
      const added = await local.run(["ssh-add", sshd?.SSH_KEY ?? ""], { env: { SSH_AUTH_SOCK: socket } });
      expect(added._unsafeUnwrap().exitCode).toBe(0);
      const shell = open({ privateKeyPath: undefined, agent: socket });
      expect((await shell.run(["echo", "via agent"]))._unsafeUnwrap().stdout).toBe("via agent\n");
    } finally {
      agent.kill();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("returns unavailable when nothing listens", async () => {
    const e = (await open({ port: 1 }).run(["true"]))._unsafeUnwrapErr();
    expect(e.reason).toBe("unavailable");
  });
});

describe("SshShell options", () => {
  it("refuses options without host key verification", () => {
    const options = { ...sshdOptions(), hostKey: undefined } as unknown as Parameters<
      typeof SshShell.create
    >[0];
    const e = SshShell.create(options)._unsafeUnwrapErr();
    expect(e.reason).toBe("invalid_input");
    expect(e.message).toContain("hostKey");
  });

  it("refuses a malformed fingerprint and a missing key", () => {
    expect(SshShell.create(sshdOptions({ hostKey: { fingerprint: "MD5:aa:bb" } })).isErr()).toBe(true);
    const noKey = SshShell.create(sshdOptions({ privateKeyPath: undefined }))._unsafeUnwrapErr();
    expect(noKey.message).toContain("privateKey");
  });

  it("refuses a known_hosts file path that is not one printable line (issue 17 property test)", () => {
    const e = SshShell.create(
      sshdOptions({ hostKey: { knownHostsFile: "/tmp/known_hosts\ntouch /tmp/pwn" } }),
    )._unsafeUnwrapErr();
    expect(e.reason).toBe("invalid_input");
    expect(e.message).toContain("hostKey");
    expect(
      SshShell.create(sshdOptions({ hostKey: { knownHostsFile: "/etc/ssh/ssh_known_hosts" } })).isOk(),
    ).toBe(true);
  });

  it("never echoes a private key given in the wrong field type", () => {
    const secret =
      "-----BEGIN OPENSSH PRIVATE KEY-----\nSECRETSECRETSECRET\n-----END OPENSSH PRIVATE KEY-----";
    const e = SshShell.create({
      ...sshdOptions(),
      privateKeyPath: undefined,
      privateKey: secret,
      port: 0,
    })._unsafeUnwrapErr();
    expect(everything(e)).not.toContain("SECRETSECRET");
  });
});
