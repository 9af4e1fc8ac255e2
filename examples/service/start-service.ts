import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { RollbackDesk } from "./rollback-desk";
import type { ServiceAccess } from "./service-access";
import { serviceApp } from "./service-app";
import type { ServiceTarget } from "./service-target";

/** A running service: its base URL, its desk, and how to stop it. */
export interface RunningService {
  readonly url: string;
  readonly desk: RollbackDesk;
  close(): Promise<void>;
}

/** Serves the rollback desk of `target` on `hostname:port` (port 0: any free one), behind `options.access`. */
export function startService(
  target: ServiceTarget,
  options: { hostname?: string; port?: number; access?: ServiceAccess } = {},
): Promise<RunningService> {
  const desk = new RollbackDesk(target);
  const hostname = options.hostname ?? "127.0.0.1";
  return new Promise((listening) => {
    const server = serve(
      { fetch: serviceApp(desk, options.access).fetch, hostname, port: options.port ?? 0 },
      (info: AddressInfo) =>
        listening({
          url: `http://${hostname}:${info.port}`,
          desk,
          close: () =>
            new Promise((closed) => {
              server.close(() => closed());
              if ("closeAllConnections" in server) server.closeAllConnections();
            }),
        }),
    );
  });
}
