import { isIP } from "node:net";
import { freeTextSchema, lazySchema, localPathSchema } from "@backflip/core/driver-kit";
import * as z from "zod";

/** How the server's host key is verified. There is no way to skip verification. */
export type HostKeyPolicy =
  /** A known_hosts file (OpenSSH format), read at every connect. */
  | { readonly knownHostsFile: string }
  /** known_hosts text held in memory. */
  | { readonly knownHosts: string }
  /** One or more pinned fingerprints as `ssh-keygen -l -E sha256` prints them (`SHA256:…`). */
  | { readonly fingerprint: string | readonly string[] };

/** Where to connect and how to log in: the target, or a jump host. */
export interface SshEndpoint {
  /** Host name or address. */
  readonly host: string;
  /** TCP port (default 22). */
  readonly port?: number;
  /** The login user. */
  readonly username: string;
  /** A private key (OpenSSH or PEM text, or bytes). Never logged, never put in an error. */
  readonly privateKey?: string | Uint8Array;
  /** A private key file, read at connect time. */
  readonly privateKeyPath?: string;
  /** Passphrase of an encrypted private key. */
  readonly passphrase?: string;
  /** An ssh-agent socket path (e.g. `process.env.SSH_AUTH_SOCK`), tried with or instead of a key. */
  readonly agent?: string;
  /** Host key verification: required. */
  readonly hostKey: HostKeyPolicy;
}

/** Options of an {@link SshShell}. */
export interface SshShellOptions extends SshEndpoint {
  /** Name in messages and events (default `ssh:user@host[:port]`). */
  readonly name?: string;
  /** Reach the target through this host (`ssh -J`): a TCP forward over the jump's connection. */
  readonly jump?: SshEndpoint;
  /** SSH-level keepalive interval in milliseconds (default 15000; 0 turns it off). */
  readonly keepaliveIntervalMs?: number;
  /** Unanswered keepalives before the connection counts as dropped (default 3). */
  readonly keepaliveCountMax?: number;
  /** Deadline for connecting and authenticating, in milliseconds (default 20000). */
  readonly connectTimeoutMs?: number;
  /** After a timeout or abort, how long the remote command has between SIGTERM and SIGKILL (default 2000 ms). */
  readonly killGraceMs?: number;
  /** Commands running at once over the connection, each on its own channel (default 8; OpenSSH allows 10). */
  readonly maxChannels?: number;
}

const fingerprintSchema = lazySchema(() =>
  z
    .string()
    .regex(
      /^SHA256:[A-Za-z0-9+/]{43}$/,
      "expected an OpenSSH fingerprint like SHA256:<43 base64 characters>",
    ),
);

const hostKeySchema = lazySchema(() =>
  z.union(
    [
      z.object({ knownHostsFile: localPathSchema }).strict(),
      z.object({ knownHosts: z.string().min(1) }).strict(),
      z.object({ fingerprint: z.union([fingerprintSchema, z.array(fingerprintSchema).min(1)]) }).strict(),
    ],
    {
      error:
        "hostKey is required: { knownHostsFile }, { knownHosts } or { fingerprint: 'SHA256:…' } (host keys are always verified)",
    },
  ),
);

const endpointSchema = lazySchema(() =>
  z
    .object({
      host: z
        .string()
        .refine(
          (h) => /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(h) || isIP(h) === 6,
          "expected a host name or an IP address (starting with a letter or digit)",
        ),
      port: z.number().int().min(1).max(65_535).optional(),
      username: z
        .string()
        .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, "expected a user name (starting with a letter or digit)"),
      privateKey: z.union([z.string().min(1), z.instanceof(Uint8Array)]).optional(),
      privateKeyPath: localPathSchema.optional(),
      passphrase: z.string().optional(),
      agent: localPathSchema.optional(),
      hostKey: hostKeySchema,
    })
    .refine((e) => e.privateKey !== undefined || e.privateKeyPath !== undefined || e.agent !== undefined, {
      message: "give a privateKey, a privateKeyPath or an agent socket: only key authentication is supported",
    })
    .refine((e) => !(e.privateKey !== undefined && e.privateKeyPath !== undefined), {
      message: "give privateKey or privateKeyPath, not both",
    }),
);

/** The zod schema of {@link SshShellOptions}; its messages never echo a key or passphrase. */
export const sshShellOptionsSchema = lazySchema(() =>
  z.intersection(
    endpointSchema,
    z.object({
      name: freeTextSchema(200).optional(),
      jump: endpointSchema.optional(),
      keepaliveIntervalMs: z.number().int().min(0).max(3_600_000).optional(),
      keepaliveCountMax: z.number().int().min(1).max(100).optional(),
      connectTimeoutMs: z.number().int().min(1).max(600_000).optional(),
      killGraceMs: z.number().int().min(0).max(60_000).optional(),
      maxChannels: z.number().int().min(1).max(64).optional(),
    }),
  ),
);
