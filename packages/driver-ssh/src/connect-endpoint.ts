import { readFile } from "node:fs/promises";
import type { Duplex } from "node:stream";
import type { DriverError } from "@backflip/core";
import { err, ok, type Result } from "neverthrow";
import ssh2, { Client, type ConnectConfig } from "ssh2";
import { describeHostKey, type PresentedHostKey } from "./host-key";
import { checkKnownHosts, type KnownHostsVerdict } from "./known-hosts";
import { errorCode, safeCause, sshError } from "./ssh-error";
import type { HostKeyPolicy, SshEndpoint } from "./ssh-shell-options";

/** Connection settings shared by the target and its jump host. */
export interface LinkSettings {
  readonly keepaliveIntervalMs: number;
  readonly keepaliveCountMax: number;
  readonly connectTimeoutMs: number;
}

/** `user@host` or `user@host:port` for messages. */
export function endpointLabel(endpoint: SshEndpoint): string {
  const port = endpoint.port ?? 22;
  return `${endpoint.username}@${endpoint.host}${port === 22 ? "" : `:${port}`}`;
}

/**
 * Opens one authenticated SSH connection to `endpoint` (over `sock` when given, e.g. a
 * jump host's forward). The host key is checked before authentication; an unknown or
 * changed key refuses the connection and the error carries the presented fingerprint.
 */
export async function connectEndpoint(
  endpoint: SshEndpoint,
  settings: LinkSettings,
  role: "target" | "jump host",
  sock?: Duplex,
): Promise<Result<Client, DriverError>> {
  const label = endpointLabel(endpoint);
  const port = endpoint.port ?? 22;
  const key = await loadPrivateKey(endpoint, label);
  if (key.isErr()) return err(key.error);
  const trust = await loadTrust(endpoint.hostKey, endpoint.host, port);
  if (trust.isErr()) return err(trust.error);

  let presented: PresentedHostKey | undefined;
  let verdict: KnownHostsVerdict | undefined;
  const config: ConnectConfig = {
    host: endpoint.host,
    port,
    username: endpoint.username,
    readyTimeout: settings.connectTimeoutMs,
    keepaliveInterval: settings.keepaliveIntervalMs,
    keepaliveCountMax: settings.keepaliveCountMax,
    hostVerifier: (blob: Buffer) => {
      presented = describeHostKey(blob);
      verdict = trust.value(presented);
      return verdict.kind === "trusted";
    },
    ...(key.value === undefined ? {} : { privateKey: key.value }),
    ...(endpoint.passphrase === undefined ? {} : { passphrase: endpoint.passphrase }),
    ...(endpoint.agent === undefined ? {} : { agent: endpoint.agent }),
    ...(sock === undefined ? {} : { sock }),
  };

  const client = new Client();
  return new Promise((resolve) => {
    const onError = (error: Error) => {
      client.removeListener("ready", onReady);
      client.end();
      resolve(err(connectFailure(error, { label, role, endpoint, presented, verdict })));
    };
    const onReady = () => {
      client.removeListener("error", onError);
      // Commands are small request/response exchanges: do not let Nagle hold them back.
      client.setNoDelay(true);
      resolve(ok(client));
    };
    client.once("ready", onReady);
    client.once("error", onError);
    try {
      client.connect(config);
    } catch (error) {
      onError(error as Error);
    }
  });
}

async function loadPrivateKey(
  endpoint: SshEndpoint,
  label: string,
): Promise<Result<Buffer | undefined, DriverError>> {
  let raw: Buffer | undefined;
  if (endpoint.privateKey !== undefined) raw = Buffer.from(endpoint.privateKey);
  if (endpoint.privateKeyPath !== undefined) {
    try {
      raw = await readFile(endpoint.privateKeyPath);
    } catch (error) {
      return err(
        sshError(
          "connect",
          errorCode(error) === "ENOENT" ? "not_found" : "unauthorized",
          `cannot read the private key file for ${label} (${errorCode(error) ?? "read error"})`,
          {
            hint: "check privateKeyPath and its permissions",
            details: { keyFile: endpoint.privateKeyPath },
          },
        ),
      );
    }
  }
  if (raw === undefined) return ok(undefined);
  const parsed = ssh2.utils.parseKey(raw, endpoint.passphrase);
  if (parsed instanceof Error) {
    const encrypted = /passphrase|decrypt|encrypted/i.test(parsed.message);
    return err(
      sshError(
        "connect",
        "invalid_input",
        encrypted
          ? `the private key for ${label} is encrypted and the passphrase is missing or wrong`
          : `the private key for ${label} is not a supported private key (OpenSSH or PEM: ed25519, ecdsa, rsa)`,
        { hint: "pass the private key itself (not the .pub file) and its passphrase if it has one" },
      ),
    );
  }
  return ok(raw);
}

type Trust = (key: PresentedHostKey) => KnownHostsVerdict;

async function loadTrust(
  policy: HostKeyPolicy,
  host: string,
  port: number,
): Promise<Result<Trust, DriverError>> {
  if ("fingerprint" in policy) {
    const pins = typeof policy.fingerprint === "string" ? [policy.fingerprint] : [...policy.fingerprint];
    return ok((key) =>
      pins.includes(key.fingerprint) ? { kind: "trusted" } : { kind: "changed", expected: pins },
    );
  }
  let text: string;
  if ("knownHosts" in policy) text = policy.knownHosts;
  else {
    try {
      text = await readFile(policy.knownHostsFile, "utf8");
    } catch (error) {
      return err(
        sshError(
          "connect",
          "not_found",
          `cannot read the known_hosts file ${policy.knownHostsFile} (${errorCode(error) ?? "read error"})`,
          {
            hint: "create it with the host's verified key, or pin the host's fingerprint instead",
          },
        ),
      );
    }
  }
  return ok((key) => checkKnownHosts(text, host, port, key));
}

interface FailureContext {
  readonly label: string;
  readonly role: "target" | "jump host";
  readonly endpoint: SshEndpoint;
  readonly presented: PresentedHostKey | undefined;
  readonly verdict: KnownHostsVerdict | undefined;
}

function connectFailure(error: Error, ctx: FailureContext): DriverError {
  const { label, role, presented, verdict } = ctx;
  const cause = safeCause(error);
  const where = role === "jump host" ? `jump host ${label}` : label;
  if (presented !== undefined && verdict !== undefined && verdict.kind !== "trusted") {
    const details = { host: label, role, keyType: presented.type, fingerprint: presented.fingerprint };
    if (verdict.kind === "unknown") {
      return sshError(
        "connect",
        "unauthorized",
        `refused: the host key of ${where} is unknown (${presented.type} ${presented.fingerprint})`,
        {
          hint: `verify ${presented.fingerprint} out of band (on the host: ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub), then pin it as hostKey: { fingerprint: "${presented.fingerprint}" } or add the host to known_hosts`,
          details,
          cause,
        },
      );
    }
    if (verdict.kind === "revoked") {
      return sshError(
        "connect",
        "unauthorized",
        `refused: the host key of ${where} is marked @revoked in known_hosts (${presented.fingerprint})`,
        {
          hint: "do not connect to this host until its key is replaced and verified",
          details,
          cause,
        },
      );
    }
    return sshError(
      "connect",
      "unauthorized",
      `refused: HOST KEY MISMATCH for ${where}: it presented ${presented.type} ${presented.fingerprint}, which is not the key on record`,
      {
        hint: "possible man-in-the-middle or a reinstalled host: stop, verify the new key out of band, then update the pin or known_hosts",
        details: { ...details, expected: verdict.expected },
        cause,
      },
    );
  }
  const code = errorCode(error);
  if (/All configured authentication methods failed/i.test(error.message)) {
    return sshError(
      "connect",
      "unauthorized",
      `${where} refused key authentication for ${ctx.endpoint.username}`,
      {
        hint: "check that the public key is in the user's authorized_keys on the host (or that the agent holds it)",
        details: { host: label, role },
        cause,
      },
    );
  }
  if (code === "ETIMEDOUT" || /Timed out while waiting for handshake/i.test(error.message)) {
    return sshError("connect", "timeout", `connecting to ${where} timed out`, {
      hint: "check that the host is up and that the port is reachable from here",
      details: { host: label, role },
      cause,
    });
  }
  return sshError("connect", "unavailable", `cannot connect to ${where}: ${error.message}`, {
    hint:
      code === "ECONNREFUSED"
        ? "nothing listens on that port: is sshd running there?"
        : "check the host name, the network path and that sshd is running",
    details: { host: label, role, ...(code === undefined ? {} : { code }) },
    cause,
  });
}
