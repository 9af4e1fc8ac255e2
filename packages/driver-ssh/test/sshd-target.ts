import { backendEnv, skipUnlessBackend } from "@backflip/core/testing";
import type { SshShellOptions } from "../src/ssh-shell-options";

/** The loopback sshd that `scripts/backends up sshd` started, or `null`. */
export const sshd = backendEnv("sshd");

/** Skip message (or `false`) for suites that need the real sshd. */
export const sshdSkip = skipUnlessBackend(sshd !== null, "sshd", "scripts/backends up sshd");

/** Options that reach the loopback sshd with its throwaway key, verified by its known_hosts file. */
export function sshdOptions(overrides: Partial<SshShellOptions> = {}): SshShellOptions {
  const env = sshd ?? {};
  return {
    host: env.SSH_HOST ?? "127.0.0.1",
    port: Number(env.SSH_PORT ?? 2222),
    username: env.SSH_USER ?? "root",
    privateKeyPath: env.SSH_KEY ?? "/nonexistent",
    hostKey: { knownHostsFile: env.SSH_KNOWN_HOSTS ?? "/nonexistent" },
    connectTimeoutMs: 10_000,
    ...overrides,
  };
}

/** The pinned-fingerprint form of {@link sshdOptions}. */
export function sshdFingerprint(): string {
  return sshd?.SSH_HOST_FINGERPRINT ?? "";
}
