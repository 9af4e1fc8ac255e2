import { X509Certificate } from "node:crypto";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import type { PeerCertificate } from "node:tls";
import { type SelfSignedCertificate, selfSignedCertificate } from "@backflip/core/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createIncusHost } from "../src/create-incus-host";
import { incusTlsConnectOptions } from "../src/incus-tls";

/** A throwaway self-signed certificate (see `selfSignedCertificate`). */
const certificate = async (cn: string, san?: string): Promise<SelfSignedCertificate> =>
  (await selfSignedCertificate(cn, san))._unsafeUnwrap();

let server: SelfSignedCertificate;
let other: SelfSignedCertificate;
let client: SelfSignedCertificate;

beforeAll(async () => {
  [server, other, client] = await Promise.all([
    certificate("incus-server", "IP:127.0.0.1"),
    certificate("someone-else", "IP:127.0.0.1"),
    certificate("backflip-client"),
  ]);
});

const peer = (pem: string) =>
  ({ fingerprint256: new X509Certificate(pem).fingerprint256 }) as PeerCertificate;

describe("incusTlsConnectOptions", () => {
  it("pins the server certificate: TLS 1.3 minimum, verification on, only that certificate accepted", () => {
    const o = incusTlsConnectOptions({
      cert: client.cert,
      key: client.key,
      serverCert: server.cert,
    })._unsafeUnwrap();
    expect(o).toMatchObject({
      cert: client.cert,
      key: client.key,
      ca: server.cert,
      minVersion: "TLSv1.3",
      rejectUnauthorized: true,
    });
    expect(o.checkServerIdentity?.("incus.example.net", peer(server.cert))).toBeUndefined();
    const mismatch = o.checkServerIdentity?.("incus.example.net", peer(other.cert));
    expect(mismatch).toBeInstanceOf(Error);
    expect((mismatch as Error & { code: string }).code).toBe("ERR_TLS_CERT_PIN_MISMATCH");
  });

  it("verifies against a CA with the usual host-name check", () => {
    const o = incusTlsConnectOptions({ cert: client.cert, key: client.key, ca: server.cert })._unsafeUnwrap();
    expect(o).toMatchObject({ ca: server.cert, minVersion: "TLSv1.3", rejectUnauthorized: true });
    expect(o.checkServerIdentity).toBeUndefined();
  });

  it("rejects bad PEMs and both anchors at once, without echoing the key", () => {
    const cases = [
      { cert: "nope", key: client.key },
      { cert: client.cert, key: "-----BEGIN PRIVATE KEY-----\nsecret-material\n-----END PRIVATE KEY-----" },
      { cert: client.cert, key: client.key, serverCert: "nope" },
      { cert: client.cert, key: client.key, ca: "nope" },
      { cert: client.cert, key: client.key, ca: server.cert, serverCert: server.cert },
    ];
    for (const tls of cases) {
      const e = incusTlsConnectOptions(tls)._unsafeUnwrapErr();
      expect(e.reason).toBe("invalid_input");
      expect(JSON.stringify(e)).not.toContain("secret-material");
      expect(JSON.stringify(e)).not.toContain(client.key.slice(40, 80));
    }
  });
});

describe("createIncusHost options", () => {
  it.each([
    [{ endpoint: "http://127.0.0.1:8443", tls: undefined }, "https"],
    [{ endpoint: "https://127.0.0.1:8443" }, "tls"],
    [{ endpoint: "https://127.0.0.1:8443", socketPath: "/var/lib/incus/unix.socket" }, "not both"],
    [{ project: "bad project" }, "project"],
    [{ timeoutS: 0 }, "timeoutS"],
    [{ bogus: 1 }, "bogus"],
  ])("rejects %j with invalid_input", (options, mentions) => {
    const e = createIncusHost(options as never)._unsafeUnwrapErr();
    expect(e.reason).toBe("invalid_input");
    expect(e.message).toContain(mentions);
  });
});

describe("a remote over HTTPS (a local TLS server standing in for incusd)", () => {
  let https: Server;
  let legacy: Server;
  let legacyUrl: string;
  let url: string;
  const seen: { clientCert?: string; protocol?: string } = {};

  beforeAll(async () => {
    https = createServer(
      {
        cert: server.cert,
        key: server.key,
        requestCert: true,
        rejectUnauthorized: false,
        minVersion: "TLSv1.2",
      },
      (req, res) => {
        const socket = req.socket as import("node:tls").TLSSocket;
        seen.clientCert = socket.getPeerCertificate().fingerprint256;
        seen.protocol = socket.getProtocol() ?? undefined;
        res.setHeader("content-type", "application/json");
        res.end(JSON.stringify({ type: "sync", status: "Success", status_code: 200, metadata: [] }));
      },
    );
    await new Promise<void>((resolve) => https.listen(0, "127.0.0.1", resolve));
    url = `https://127.0.0.1:${(https.address() as AddressInfo).port}`;
    legacy = createServer({ cert: server.cert, key: server.key, maxVersion: "TLSv1.2" }, (_req, res) =>
      res.end(),
    );
    await new Promise<void>((resolve) => legacy.listen(0, "127.0.0.1", resolve));
    legacyUrl = `https://127.0.0.1:${(legacy.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => https.close(resolve));
    await new Promise((resolve) => legacy.close(resolve));
  });

  it("refuses a server that offers only TLS 1.2", async () => {
    const host = createIncusHost({
      endpoint: legacyUrl,
      tls: { ...client, serverCert: server.cert },
    })._unsafeUnwrap();
    const e = (await host.list())._unsafeUnwrapErr();
    expect(e.reason).toBe("failed");
    expect(e.details?.code).toMatch(/ERR_SSL|PROTOCOL/);
    await host.close();
  });

  it("connects with TLS 1.3, presents the client certificate and accepts the pinned server", async () => {
    const host = createIncusHost({
      endpoint: url,
      tls: { ...client, serverCert: server.cert },
    })._unsafeUnwrap();
    expect((await host.list())._unsafeUnwrap()).toEqual([]);
    expect(seen.protocol).toBe("TLSv1.3");
    expect(seen.clientCert).toBe(new X509Certificate(client.cert).fingerprint256);
    await host.close();
  });

  it("refuses a server that is not the pinned one", async () => {
    const host = createIncusHost({
      endpoint: url,
      tls: { ...client, serverCert: other.cert },
    })._unsafeUnwrap();
    const e = (await host.list())._unsafeUnwrapErr();
    expect(e.reason).toBe("failed");
    expect(e.message).toMatch(/TLS verification/);
    await host.close();
  });

  it("refuses a server whose certificate does not chain to the given CA", async () => {
    const host = createIncusHost({ endpoint: url, tls: { ...client, ca: other.cert } })._unsafeUnwrap();
    expect((await host.list())._unsafeUnwrapErr().message).toMatch(/TLS verification/);
    await host.close();
  });
});
