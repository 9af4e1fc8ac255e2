import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { createServer as createTlsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HttpHealthProbe, LocalShell } from "../src/index";
import { runHealthProbeConformance } from "../src/testing/index";

runHealthProbeConformance({
  name: "HttpHealthProbe",
  setup: async () => ({ port: new HttpHealthProbe(), fixtures: {} }),
});

describe("HttpHealthProbe", () => {
  let server: Server;
  let base = "";
  let requests = 0;
  beforeAll(async () => {
    server = createServer((req, res) => {
      requests += 1;
      if (req.url === "/big") {
        res.writeHead(200);
        res.end(`healthy ${"x".repeat(64 * 1024)}`);
        return;
      }
      res.writeHead(503);
      res.end("starting");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it("keeps the first 4 KiB of the body", async () => {
    const result = (
      await new HttpHealthProbe().check({ url: `${base}/big`, bodyIncludes: "healthy" })
    )._unsafeUnwrap();
    expect(result.body.length).toBe(4096);
  });

  it("stops at the deadline even when attempts remain, and says so", async () => {
    const error = (
      await new HttpHealthProbe().check({
        url: `${base}/down`,
        attempts: 1000,
        intervalMs: 100,
        deadlineMs: 500,
      })
    )._unsafeUnwrapErr();
    expect(error.reason).toBe("timeout");
    expect(error.message).toContain("deadline");
    expect(error.message).toContain("HTTP 503");
    expect(error.details?.attempts).toBeLessThan(1000);
  });

  it("verifies TLS: a self-signed https endpoint fails with a hint about the CA", async () => {
    const dir = await mkdtemp(join(tmpdir(), "backflip-tls-"));
    try {
      const made = await new LocalShell().run([
        "openssl",
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "1",
        "-subj",
        "/CN=127.0.0.1",
        "-addext",
        "subjectAltName=IP:127.0.0.1",
        "-keyout",
        join(dir, "key.pem"),
        "-out",
        join(dir, "cert.pem"),
      ]);
      expect(made._unsafeUnwrap().exitCode).toBe(0);
      const cert = await readFile(join(dir, "cert.pem"), "utf8");
      const key = await readFile(join(dir, "key.pem"), "utf8");
      const tls = createTlsServer({ cert, key }, (_req, res) => {
        res.writeHead(200);
        res.end("ok");
      });
      await new Promise<void>((resolve) => tls.listen(0, "127.0.0.1", resolve));
      try {
        const url = `https://127.0.0.1:${(tls.address() as AddressInfo).port}/health`;
        const refused = (await new HttpHealthProbe().check({ url, attempts: 1 }))._unsafeUnwrapErr();
        expect(refused.reason).toBe("failed");
        expect(refused.hint).toContain("ca");
        const trusted = await new HttpHealthProbe({ ca: cert }).check({ url, attempts: 1 });
        expect(trusted._unsafeUnwrap().status).toBe(200);
      } finally {
        tls.closeAllConnections();
        await new Promise((resolve) => tls.close(resolve));
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("returns invalid_input for bad options and sends nothing", async () => {
    const before = requests;
    const probe = new HttpHealthProbe({ ca: "not a certificate" });
    expect((await probe.check({ url: `${base}/big` }))._unsafeUnwrapErr().reason).toBe("invalid_input");
    expect(requests).toBe(before);
  });
});
