import { createPrivateKey, X509Certificate } from "node:crypto";
import type { PeerCertificate } from "node:tls";
import type { DriverError } from "@backflip/core";
import { invalidInput } from "@backflip/core/driver-kit";
import { err, ok, type Result } from "neverthrow";
import { DRIVER } from "./incus-error";

/** TLS for a remote Incus server: a trusted client certificate, and how to verify the server. */
export interface IncusTlsOptions {
  /** The client certificate (PEM) the server trusts (`incus config trust add-certificate`). */
  readonly cert: string;
  /** The client certificate's private key (PEM). Never logged. */
  readonly key: string;
  /**
   * The server's own certificate (PEM, its `server.crt`), pinned: the connection succeeds
   * only when the server presents exactly this certificate, whatever its host names.
   */
  readonly serverCert?: string;
  /** A CA (PEM) that signed the server's certificate; the host name is then verified as usual. */
  readonly ca?: string;
}

/** What undici's connector receives for a remote Incus: TLS 1.3 minimum, verification on. */
export interface IncusTlsConnectOptions {
  readonly cert: string;
  readonly key: string;
  readonly ca?: string;
  readonly minVersion: "TLSv1.3";
  readonly rejectUnauthorized: true;
  readonly checkServerIdentity?: (host: string, peer: PeerCertificate) => Error | undefined;
}

/**
 * Builds the connector's TLS options. With `serverCert`, that certificate is the only
 * trust anchor and the peer must present it (SHA-256 fingerprint compared), as Incus's
 * own client pins a remote's certificate; with `ca`, normal chain and host-name checks
 * apply against that CA; with neither, against the system's CAs. Never disables
 * verification. `invalid_input` when a PEM does not parse.
 */
export function incusTlsConnectOptions(tls: IncusTlsOptions): Result<IncusTlsConnectOptions, DriverError> {
  const base = {
    cert: tls.cert,
    key: tls.key,
    minVersion: "TLSv1.3" as const,
    rejectUnauthorized: true as const,
  };
  if (tls.serverCert !== undefined && tls.ca !== undefined) {
    return err(invalidInput(DRIVER, "connect", "tls: give either serverCert (pinned) or ca, not both"));
  }
  if (fingerprint(tls.cert) === undefined)
    return err(invalidInput(DRIVER, "connect", "tls.cert: not a PEM certificate"));
  if (!isPrivateKey(tls.key)) return err(invalidInput(DRIVER, "connect", "tls.key: not a PEM private key"));
  if (tls.serverCert !== undefined) {
    const pinned = fingerprint(tls.serverCert);
    if (pinned === undefined)
      return err(invalidInput(DRIVER, "connect", "tls.serverCert: not a PEM certificate"));
    return ok({
      ...base,
      ca: tls.serverCert,
      checkServerIdentity: (host, peer) =>
        peer.fingerprint256 === pinned
          ? undefined
          : Object.assign(
              new Error(
                `the server ${host} presented certificate ${peer.fingerprint256}, not the pinned ${pinned}`,
              ),
              { code: "ERR_TLS_CERT_PIN_MISMATCH" },
            ),
    });
  }
  if (tls.ca !== undefined) {
    if (fingerprint(tls.ca) === undefined)
      return err(invalidInput(DRIVER, "connect", "tls.ca: not a PEM certificate"));
    return ok({ ...base, ca: tls.ca });
  }
  return ok(base);
}

/** True when `pem` parses as a private key (its content is never put in a message). */
function isPrivateKey(pem: string): boolean {
  try {
    createPrivateKey(pem);
    return true;
  } catch {
    return false;
  }
}

/** The SHA-256 fingerprint of a PEM certificate in Node's `AA:BB:…` form, or `undefined`. */
function fingerprint(pem: string): string | undefined {
  try {
    return new X509Certificate(pem).fingerprint256;
  } catch {
    return undefined;
  }
}
