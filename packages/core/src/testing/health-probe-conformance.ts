import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Result } from "neverthrow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DriverError } from "../errors/driver-error";
import type { HealthProbe, ProbeRequest, ProbeResult } from "../ports/health-probe";
import type { ConformanceTarget } from "./conformance-target";
import { errValue as failure, okValue } from "./result-values";
import { withFixture } from "./with-fixture";

/** A secret the suite sends in headers and URLs; it must never show up in an error. */
const SECRET = "s3cret-conformance-token";

/**
 * A loopback HTTP server (127.0.0.1, ephemeral port) with the endpoints the suite probes:
 * `/ok`, `/fail` (500), `/status/N`, `/flaky/ID/N` (fails N times, then passes),
 * `/slow` (answers after 5 s) and `/needs-header` (200 only with `x-backflip-probe: yes`).
 */
class ProbeServer {
  readonly #server: Server;
  readonly #flaky = new Map<string, number>();
  /** Requests received so far. */
  requests = 0;

  constructor() {
    this.#server = createServer((req, res) => this.#handle(req, res));
  }

  /** Starts listening and returns the base URL. */
  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  /** Stops the server, dropping open connections. */
  async stop(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    this.requests += 1;
    const path = new URL(req.url ?? "/", "http://x").pathname;
    const send = (status: number, body: string) => {
      res.writeHead(status, { "content-type": "text/plain" });
      res.end(body);
    };
    const parts = path.split("/").filter(Boolean);
    if (path === "/slow") {
      const timer = setTimeout(() => send(200, "status: ok"), 5000);
      res.on("close", () => clearTimeout(timer));
    } else if (path === "/ok") {
      send(200, "status: ok");
    } else if (path === "/fail") {
      send(500, "boom: database unreachable");
    } else if (parts[0] === "status") {
      send(Number(parts[1]), `status ${parts[1]}`);
    } else if (parts[0] === "flaky") {
      const key = parts[1] ?? "";
      const seen = (this.#flaky.get(key) ?? 0) + 1;
      this.#flaky.set(key, seen);
      if (seen <= Number(parts[2])) send(503, `not yet (${seen})`);
      else send(200, "status: ok");
    } else if (path === "/needs-header") {
      if (req.headers["x-backflip-probe"] === "yes") send(200, "status: ok");
      else send(401, "missing header");
    } else {
      send(404, "no such endpoint");
    }
  }
}

/**
 * The {@link HealthProbe} contract: passes on 2xx (or the expected status), retries with
 * a pause, honours `bodyIncludes`, the per-attempt timeout, the deadline and the
 * AbortSignal, names the URL in errors but never a header value or URL credential, and
 * rejects bad requests with `invalid_input` before sending anything. The suite runs its
 * own loopback server on 127.0.0.1 (an ephemeral port), so the target needs no fixtures.
 */
export function runHealthProbeConformance(target: ConformanceTarget<HealthProbe>): void {
  describe.skipIf(target.skip ?? false)(`HealthProbe conformance: ${target.name}`, () => {
    const server = new ProbeServer();
    let base = "";
    let flakyId = 0;
    beforeAll(async () => {
      base = await server.start();
    });
    afterAll(async () => {
      await server.stop();
    });

    const check = (request: ProbeRequest): Promise<Result<ProbeResult, DriverError>> =>
      withFixture(target, async (probe) => probe.check(request));
    const fast = { intervalMs: 10, attemptTimeoutMs: 2000, deadlineMs: 20_000 };

    it("passes on a 2xx with the status, attempts and body", async () => {
      const value = okValue(await check({ url: `${base}/ok` }));
      expect(value.status).toBe(200);
      expect(value.attempts).toBe(1);
      expect(value.url).toBe(`${base}/ok`);
      expect(value.body).toContain("status: ok");
      expect(value.durationMs).toBeGreaterThanOrEqual(0);
    });

    it("accepts any 2xx by default", async () => {
      expect(okValue(await check({ url: `${base}/status/204` })).status).toBe(204);
    });

    it("requires exactly expectStatus when given", async () => {
      expect(okValue(await check({ url: `${base}/status/404`, expectStatus: 404 })).status).toBe(404);
      const error = errValue(await check({ url: `${base}/ok`, expectStatus: 201, attempts: 1 }));
      expect(error.reason).toBe("failed");
      expect(error.message).toContain("200");
    });

    it("fails on a 500 after every attempt, naming the URL, the status and the attempts", async () => {
      const error = errValue(await check({ url: `${base}/fail`, attempts: 2, ...fast }));
      expect(error.reason).toBe("failed");
      expect(error.message).toContain(`${base}/fail`);
      expect(error.message).toContain("500");
      expect(error.message).toContain("boom");
      expect(error.message).toContain("2 attempt");
      expect(error.details?.attempts).toBe(2);
      expect(error.details?.status).toBe(500);
    });

    it("retries a flaky endpoint until it passes", async () => {
      flakyId += 1;
      const value = okValue(await check({ url: `${base}/flaky/a${flakyId}/2`, attempts: 3, ...fast }));
      expect(value.attempts).toBe(3);
      expect(value.status).toBe(200);
    });

    it("gives up on a flaky endpoint when the attempts run out first", async () => {
      flakyId += 1;
      const error = errValue(await check({ url: `${base}/flaky/b${flakyId}/2`, attempts: 2, ...fast }));
      expect(error.reason).toBe("failed");
      expect(error.details?.attempts).toBe(2);
    });

    it("checks bodyIncludes", async () => {
      expect(okValue(await check({ url: `${base}/ok`, bodyIncludes: "ok" })).status).toBe(200);
      const error = errValue(await check({ url: `${base}/ok`, bodyIncludes: "healthy", attempts: 1 }));
      expect(error.reason).toBe("failed");
      expect(error.message).toContain("healthy");
    });

    it("reports a network error with the URL", async () => {
      const closed = new ProbeServer();
      const url = `${await closed.start()}/ok`;
      await closed.stop();
      const error = errValue(await check({ url, attempts: 2, ...fast }));
      expect(["failed", "unavailable"]).toContain(error.reason);
      expect(error.message).toContain(url);
    });

    it("gives up on an attempt that gets no answer within attemptTimeoutMs", async () => {
      const error = errValue(
        await check({
          url: `${base}/slow`,
          attempts: 2,
          attemptTimeoutMs: 200,
          intervalMs: 10,
          deadlineMs: 20_000,
        }),
      );
      expect(error.reason).toBe("failed");
      expect(error.details?.attempts).toBe(2);
    });

    it("returns timeout when the overall deadline passes first", async () => {
      const error = errValue(
        await check({
          url: `${base}/slow`,
          attempts: 1000,
          attemptTimeoutMs: 200,
          intervalMs: 50,
          deadlineMs: 700,
        }),
      );
      expect(error.reason).toBe("timeout");
      expect(error.message).toContain(`${base}/slow`);
    });

    it("returns aborted when the signal aborts", async () => {
      const controller = new AbortController();
      const pending = check({ url: `${base}/slow`, attempts: 1000, ...fast, signal: controller.signal });
      setTimeout(() => controller.abort(), 200);
      expect(errValue(await pending).reason).toBe("aborted");
    });

    it("sends nothing when the signal is already aborted", async () => {
      const before = server.requests;
      expect(errValue(await check({ url: `${base}/ok`, signal: AbortSignal.abort() })).reason).toBe(
        "aborted",
      );
      expect(server.requests).toBe(before);
    });

    it("sends the given headers", async () => {
      const value = okValue(
        await check({ url: `${base}/needs-header`, headers: { "x-backflip-probe": "yes" } }),
      );
      expect(value.status).toBe(200);
    });

    it("never puts header values or URL credentials into an error", async () => {
      const url = new URL(`${base}/fail`);
      url.username = "ops";
      url.password = SECRET;
      url.searchParams.set("token", SECRET);
      const error = errValue(
        await check({
          url: url.toString(),
          headers: { authorization: `Bearer ${SECRET}` },
          attempts: 1,
          ...fast,
        }),
      );
      const { cause: _cause, ...shown } = error;
      expect(JSON.stringify(shown)).not.toContain(SECRET);
      expect(error.message).toContain("/fail");
    });

    const badRequests: ReadonlyArray<readonly [string, (base: string) => unknown]> = [
      ["a non-http URL", (b) => ({ url: b.replace("http:", "ftp:") })],
      ["a relative URL", () => ({ url: "/api/v1/health" })],
      ["no URL", () => ({})],
      ["zero attempts", (b) => ({ url: `${b}/ok`, attempts: 0 })],
      ["a negative deadline", (b) => ({ url: `${b}/ok`, deadlineMs: -1 })],
      ["a non-integer attempt timeout", (b) => ({ url: `${b}/ok`, attemptTimeoutMs: 0.5 })],
      ["an impossible status", (b) => ({ url: `${b}/ok`, expectStatus: 99 })],
      ["a header value with a newline", (b) => ({ url: `${b}/ok`, headers: { "x-a": `${SECRET}\nx-b: 1` } })],
      ["a bad header name", (b) => ({ url: `${b}/ok`, headers: { "bad header": "v" } })],
    ];
    for (const [what, build] of badRequests) {
      it(`returns invalid_input for ${what} and sends nothing`, async () => {
        const before = server.requests;
        const error = errValue(await check(build(base) as ProbeRequest));
        expect(error.reason).toBe("invalid_input");
        expect(JSON.stringify(error)).not.toContain(SECRET);
        expect(server.requests).toBe(before);
      });
    }
  });
}

/** The error of a result that must be a failure. */
function errValue(result: Result<ProbeResult, DriverError>): DriverError {
  return failure(result, (r) => `HTTP ${r.status}`);
}
