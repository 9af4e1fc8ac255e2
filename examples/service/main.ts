/**
 * Starts the service on the simulated fleet, with green's deploy bad as in the demo:
 * `npx tsx examples/service/main.ts [--port 8080] [--state-dir .backflip/service]`.
 * Point Alertmanager's webhook receiver at `http://HOST:PORT/alerts`, or post an alert by hand.
 */
import { parseArgs } from "node:util";
import { simulatedTarget } from "./simulated-target";
import { startService } from "./start-service";

const { values } = parseArgs({
  options: {
    port: { type: "string", default: "8080" },
    host: { type: "string", default: "127.0.0.1" },
    "state-dir": { type: "string", default: ".backflip/service" },
  },
});
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`--port: expected a port number, got ${values.port}`);
  process.exit(2);
}
const { target, fleet } = simulatedTarget(values["state-dir"]);
fleet.world.setColor("green", { healthy: false });
const service = await startService(target, { hostname: values.host, port });
console.log(`Backflip service on ${service.url} — ${target.description}`);
console.log(
  `Alertmanager webhook: POST ${service.url}/alerts (VezaDeployFailed, env ${target.topology.env})`,
);
