/**
 * A Backflip {@link @backflip/core!Shell} over SSH (ssh2): one verified connection reused for many
 * commands, host keys always checked, timeouts and aborts that end the remote command.
 * @module \@backflip/driver-ssh
 * @document ../README.md
 */

export type { HostKeyPolicy, SshEndpoint, SshShellOptions } from "./ssh-shell-options";
export { sshShellOptionsSchema } from "./ssh-shell-options";
export { createSshShell, SshShell } from "./ssh-shell";
export type { UnixSocketForward } from "./forward-unix-socket";
export { sha256Fingerprint } from "./host-key";
