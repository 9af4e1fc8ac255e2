import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { ResultAsync } from "neverthrow";
import { type DriverError, driverError } from "../errors/driver-error";

/** A running metrics endpoint. */
export interface MetricsServer {
  /** The scrape URL, e.g. `http://127.0.0.1:9464/metrics`. */
  readonly url: string;
  /** Stops serving. */
  close(): Promise<void>;
}

/**
 * Serves `render()` at `/metrics` for a Prometheus scrape. Binds 127.0.0.1 unless told
 * otherwise; port 0 picks a free port.
 */
export function serveMetrics(
  render: () => string,
  options: { port?: number; host?: string } = {},
): ResultAsync<MetricsServer, DriverError> {
  const host = options.host ?? "127.0.0.1";
  const server = createServer((req, res) => {
    if (req.url?.split("?")[0] !== "/metrics") {
      res.writeHead(404, { "content-type": "text/plain" }).end("only /metrics here\n");
      return;
    }
    res.writeHead(200, { "content-type": "text/plain; version=0.0.4; charset=utf-8" }).end(render());
  });
  const listening = new Promise<MetricsServer>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://${host}:${port}/metrics`,
        close: () => new Promise<void>((done) => server.close(() => done())),
      });
    });
  });
  return ResultAsync.fromPromise(listening, (cause) =>
    driverError({
      driver: "metrics",
      op: "serve",
      reason: "unavailable",
      message: `cannot listen on ${host}:${options.port ?? 0}: ${(cause as Error).message}`,
      cause,
    }),
  );
}
