import { createHash } from "node:crypto";

/** A server's public host key as presented during the handshake. */
export interface PresentedHostKey {
  /** The key type, e.g. `ssh-ed25519`. */
  readonly type: string;
  /** The key blob in base64, as in a known_hosts line. */
  readonly base64: string;
  /** OpenSSH's fingerprint, e.g. `SHA256:p73Vl…` (what `ssh-keygen -l` prints). */
  readonly fingerprint: string;
}

/** Describes a raw SSH public key blob: its type, base64 form and SHA256 fingerprint. */
export function describeHostKey(blob: Buffer): PresentedHostKey {
  const length = blob.length >= 4 ? blob.readUInt32BE(0) : 0;
  const type =
    length > 0 && length <= blob.length - 4 ? blob.subarray(4, 4 + length).toString("latin1") : "unknown";
  return { type, base64: blob.toString("base64"), fingerprint: sha256Fingerprint(blob) };
}

/** The OpenSSH `SHA256:` fingerprint of a key blob: unpadded base64 of its SHA-256. */
export function sha256Fingerprint(blob: Buffer): string {
  return `SHA256:${createHash("sha256").update(blob).digest("base64").replace(/=+$/, "")}`;
}
