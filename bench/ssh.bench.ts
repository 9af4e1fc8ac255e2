/**
 * `pnpm bench:ssh`: 100 sequential commands over one driver-ssh connection (a channel
 * each) against 100 `ssh` processes (a connection each), same loopback server, same
 * user and key, one run. Needs `scripts/backends up sshd`. The last line is
 * `ssh reuse_ratio=<n>` (ssh-process time / driver time); the target is ≥ 5.
 */
import { spawn } from "node:child_process";
import { performance } from "node:perf_hooks";
import { backendEnv } from "@backflip/core/testing";
import { SshShell } from "@backflip/driver-ssh";

const COMMANDS = 100;

if (process.argv.slice(2).some((a) => a === "--help" || a === "-h")) {
  console.log(
    "usage: npx -y pnpm@12.4.2 bench:ssh (no options)\n\n100 commands over one driver-ssh connection against 100 ssh processes; prints `ssh reuse_ratio=<n>`. Needs scripts/backends up sshd.",
  );
  process.exit(0);
}

const env = backendEnv("sshd");
if (env === null) {
  console.error("sshd is not available: run `scripts/backends up sshd` first");
  process.exit(2);
}
const host = env.SSH_HOST ?? "127.0.0.1";
const port = Number(env.SSH_PORT ?? 2222);
const user = env.SSH_USER ?? "bfssh";
const key = env.SSH_KEY ?? "";
const knownHosts = env.SSH_KNOWN_HOSTS ?? "";

function sshProcess(): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      "ssh",
      [
        "-i",
        key,
        "-o",
        `UserKnownHostsFile=${knownHosts}`,
        "-o",
        "StrictHostKeyChecking=yes",
        "-o",
        "BatchMode=yes",
        "-p",
        String(port),
        `${user}@${host}`,
        "true",
      ],
      { stdio: "ignore" },
    );
    child.on("error", reject);
    child.on("close", resolve);
  });
}

const shell = SshShell.create({
  host,
  port,
  username: user,
  privateKeyPath: key,
  hostKey: { knownHostsFile: knownHosts },
})._unsafeUnwrap();
const driverStart = performance.now();
for (let i = 0; i < COMMANDS; i++) {
  const r = await shell.run(["true"]);
  if (r.isErr() || r.value.exitCode !== 0) throw new Error(`driver command ${i} failed`);
}
const driverMs = performance.now() - driverStart;
await shell.close();

const processStart = performance.now();
for (let i = 0; i < COMMANDS; i++) {
  const code = await sshProcess();
  if (code !== 0) throw new Error(`ssh process ${i} exited with ${code}`);
}
const processMs = performance.now() - processStart;

console.log(
  `driver-ssh: ${COMMANDS} commands over 1 connection (${shell.connectionsOpened} opened) in ${driverMs.toFixed(0)} ms (${(driverMs / COMMANDS).toFixed(1)} ms each)`,
);
console.log(
  `ssh:        ${COMMANDS} processes in ${processMs.toFixed(0)} ms (${(processMs / COMMANDS).toFixed(1)} ms each)`,
);
console.log(`ssh reuse_ratio=${(processMs / driverMs).toFixed(2)}`);
