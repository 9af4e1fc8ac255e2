import { createHmac, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { describeHostKey, sha256Fingerprint } from "../src/host-key";
import { checkKnownHosts } from "../src/known-hosts";

/** A syntactically real ssh-ed25519 key blob (type string, then 32 key bytes). */
function blob(seed: number): Buffer {
  const type = Buffer.from("ssh-ed25519");
  const key = Buffer.alloc(32, seed);
  const len = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n);
    return b;
  };
  return Buffer.concat([len(type.length), type, len(key.length), key]);
}

const key = describeHostKey(blob(1));
const other = describeHostKey(blob(2));
const line = (hosts: string, k = key) => `${hosts} ${k.type} ${k.base64} comment`;

describe("host keys", () => {
  it("describes a key blob like OpenSSH: type and unpadded SHA256 fingerprint", () => {
    expect(key.type).toBe("ssh-ed25519");
    expect(key.fingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    expect(sha256Fingerprint(blob(1))).toBe(key.fingerprint);
  });
});

describe("known_hosts", () => {
  it("trusts a plain entry on port 22 and a [host]:port entry", () => {
    expect(checkKnownHosts(line("db.example,10.0.0.5"), "10.0.0.5", 22, key).kind).toBe("trusted");
    expect(checkKnownHosts(line("[127.0.0.1]:2222"), "127.0.0.1", 2222, key).kind).toBe("trusted");
    expect(checkKnownHosts(line("127.0.0.1"), "127.0.0.1", 2222, key).kind).toBe("unknown");
  });

  it("trusts hashed host names", () => {
    const salt = randomBytes(20);
    const hash = createHmac("sha1", salt).update("[10.1.2.3]:2200").digest("base64");
    expect(checkKnownHosts(line(`|1|${salt.toString("base64")}|${hash}`), "10.1.2.3", 2200, key).kind).toBe(
      "trusted",
    );
    expect(checkKnownHosts(line(`|1|${salt.toString("base64")}|${hash}`), "10.1.2.4", 2200, key).kind).toBe(
      "unknown",
    );
  });

  it("honours wildcards and negations", () => {
    expect(checkKnownHosts(line("*.lab.example,!bad.lab.example"), "incus.lab.example", 22, key).kind).toBe(
      "trusted",
    );
    expect(checkKnownHosts(line("*.lab.example,!bad.lab.example"), "bad.lab.example", 22, key).kind).toBe(
      "unknown",
    );
  });

  it("reports a changed key when the host is known with another key", () => {
    const verdict = checkKnownHosts(line("10.0.0.5", other), "10.0.0.5", 22, key);
    expect(verdict.kind).toBe("changed");
  });

  it("refuses a key marked @revoked even if another line trusts it", () => {
    const text = [`@revoked * ${key.type} ${key.base64}`, line("10.0.0.5")].join("\n");
    expect(checkKnownHosts(text, "10.0.0.5", 22, key).kind).toBe("revoked");
  });

  it("skips comments, blank lines and @cert-authority lines", () => {
    const text = ["# comment", "", `@cert-authority *.example ${key.type} ${key.base64}`].join("\n");
    expect(checkKnownHosts(text, "a.example", 22, key).kind).toBe("unknown");
  });
});
