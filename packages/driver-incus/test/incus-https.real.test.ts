import { X509Certificate } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  backendEnv,
  type SelfSignedCertificate,
  selfSignedCertificate,
  skipUnlessBackend,
} from "@backflip/core/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createIncusHost } from "../src/create-incus-host";
import { destroy, incus, incusAvailable, launch } from "./incus-lab";

/** A throwaway self-signed certificate (see `selfSignedCertificate`). */
const certificate = async (cn: string, san?: string): Promise<SelfSignedCertificate> =>
  (await selfSignedCertificate(cn, san))._unsafeUnwrap();

const env = backendEnv("incus");
const skip = skipUnlessBackend(
  (await incusAvailable()) && Boolean(env?.INCUS_HTTPS_URL && env.INCUS_SERVER_CERT),
  "incus (HTTPS)",
  "scripts/backends up incus",
);
const NAME = `bf-incus-https-${process.pid.toString(36)}`;

describe.skipIf(skip)("incus over HTTPS (real, loopback)", () => {
  const url = env?.INCUS_HTTPS_URL ?? "";
  let serverCert: string;
  let trusted: SelfSignedCertificate;
  let stranger: SelfSignedCertificate;
  let fingerprint: string;

  beforeAll(async () => {
    serverCert = await readFile(env?.INCUS_SERVER_CERT ?? "", "utf8");
    [trusted, stranger] = await Promise.all([
      certificate("bf-incus-trusted"),
      certificate("bf-incus-stranger"),
    ]);
    fingerprint = new X509Certificate(trusted.cert).fingerprint256.replaceAll(":", "").toLowerCase();
    const dir = await mkdtemp(join(tmpdir(), "bf-incus-trust-"));
    await writeFile(join(dir, "client.crt"), trusted.cert);
    await incus("config", "trust", "add-certificate", join(dir, "client.crt"), "--name", "bf-incus-test");
    await rm(dir, { recursive: true, force: true });
    await launch(NAME);
  });
  afterAll(async () => {
    await destroy(NAME);
    await incus("config", "trust", "remove", fingerprint).catch(() => undefined);
  });

  it("lists, reads state and runs a command with a trusted client certificate and the pinned server certificate", async () => {
    const host = createIncusHost({ endpoint: url, tls: { ...trusted, serverCert } })._unsafeUnwrap();
    const found = (await host.list({ names: [NAME] }))._unsafeUnwrap();
    expect(found).toEqual([{ name: NAME, status: "Running", statusCode: 103, running: true }]);
    const r = (await host.shell(NAME).run(["cat"], { stdin: "over tls" }))._unsafeUnwrap();
    expect(r).toMatchObject({ exitCode: 0, stdout: "over tls" });
    (await host.pushFile(NAME, "/tmp/over-tls", "x"))._unsafeUnwrap();
    await host.close();
  });

  it("gets unauthorized for a client certificate the server does not trust", async () => {
    const host = createIncusHost({ endpoint: url, tls: { ...stranger, serverCert } })._unsafeUnwrap();
    const e = (await host.state(NAME))._unsafeUnwrapErr();
    expect(e.reason).toBe("unauthorized");
    expect(e.details?.status).toBe(403);
    await host.close();
  });

  it("refuses the server when another certificate is pinned", async () => {
    const host = createIncusHost({
      endpoint: url,
      tls: { ...trusted, serverCert: stranger.cert },
    })._unsafeUnwrap();
    const e = (await host.list())._unsafeUnwrapErr();
    expect(e.reason).toBe("failed");
    expect(e.message).toMatch(/TLS verification/);
    await host.close();
  });
});
