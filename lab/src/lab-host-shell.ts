import { type DriverError, driverError } from "@backflip/core";
import { backendEnv } from "@backflip/core/testing";
import { SshShell } from "@backflip/driver-ssh";
import { err, type Result } from "neverthrow";

/**
 * The shell the lab's host commands (`zpool`, `zfs`, `chown` on the dataset) go through,
 * as the runbook's operator runs them: SSH as root to the loopback OpenSSH server of
 * `scripts/backends up sshd`, key authentication, host key checked against its
 * known_hosts. Nothing connects until the first command; `close()` ends the connection
 * (a later command opens a new one).
 */
export function labHostShell(): Result<SshShell, DriverError> {
  const sshd = backendEnv("sshd");
  if (sshd === null)
    return err(
      driverError({
        driver: "lab",
        op: "host-shell",
        reason: "unavailable",
        message: "the loopback OpenSSH server was never brought up (no sshd.env)",
        hint: "run `scripts/backends up sshd`",
      }),
    );
  return SshShell.create({
    host: sshd.SSH_HOST ?? "127.0.0.1",
    port: Number(sshd.SSH_PORT ?? "22"),
    username: sshd.SSH_ROOT_USER ?? "root",
    privateKeyPath: sshd.SSH_KEY ?? "",
    hostKey: { knownHostsFile: sshd.SSH_KNOWN_HOSTS ?? "" },
    name: "ssh:lab-host",
  });
}
