/**
 * Starts the service on the simulated fleet, with green's deploy bad as in the demo:
 * `npx tsx examples/service/main.ts [--port 8080] [--host 127.0.0.1] [--state-dir .backflip/service]
 * [--alert-token-file FILE] [--approver-header NAME]`.
 * Point Alertmanager's webhook receiver at `http://HOST:PORT/alerts`, or post an alert by hand.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { simulatedTarget } from "./simulated-target";
import { startService } from "./start-service";

const USAGE = `usage: npx tsx examples/service/main.ts [--port 8080] [--host 127.0.0.1] [--state-dir .backflip/service]
         [--alert-token-file FILE] [--approver-header NAME]

Serves Backflip's rollback desk on a simulated fleet (green's deploy is bad; nothing real is touched):
  POST /alerts               Alertmanager's webhook (VezaDeployFailed, env staging)
  GET  /offers/:id           the decision and the plan's dry run; approve it there
  GET  /runs/:id             a run, live or from the journal
The journal and the lease are files under --state-dir.
  --alert-token-file FILE   POST /alerts needs "Authorization: Bearer <the file's token>"
  --approver-header NAME    the approver is this header, set by your single-sign-on proxy`;

const parsed = (() => {
  try {
    return parseArgs({
      options: {
        port: { type: "string", default: "8080" },
        host: { type: "string", default: "127.0.0.1" },
        "state-dir": { type: "string", default: ".backflip/service" },
        "alert-token-file": { type: "string" },
        "approver-header": { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
    }).values;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
})();
const port = typeof parsed === "string" ? Number.NaN : Number(parsed.port);
if (typeof parsed === "string" || !Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(typeof parsed === "string" ? parsed : `--port: expected a port number, got ${parsed.port}`);
  console.error(USAGE);
  process.exit(2);
}
if (parsed.help) {
  console.log(USAGE);
  process.exit(0);
}
/** The token in `--alert-token-file` (trimmed), or why it cannot be used; the token itself is never printed. */
const alertToken = (() => {
  const file = parsed["alert-token-file"];
  if (file === undefined) return undefined;
  try {
    const token = readFileSync(file, "utf8").trim();
    return /^\S+$/.test(token)
      ? token
      : new Error(`--alert-token-file ${file}: expected one token, no spaces`);
  } catch (e) {
    return new Error(`--alert-token-file ${file}: ${(e as NodeJS.ErrnoException).code ?? "unreadable"}`);
  }
})();
const approverHeader = parsed["approver-header"];
const badHeader = approverHeader !== undefined && !/^[A-Za-z0-9-]+$/.test(approverHeader);
if (alertToken instanceof Error || badHeader) {
  console.error(
    alertToken instanceof Error
      ? alertToken.message
      : `--approver-header: expected a header name like x-forwarded-user`,
  );
  process.exit(2);
}
const { target, fleet } = simulatedTarget(parsed["state-dir"]);
fleet.world.setColor("green", { healthy: false });
const service = await startService(target, {
  hostname: parsed.host,
  port,
  access: {
    ...(alertToken === undefined ? {} : { alertToken }),
    ...(approverHeader === undefined ? {} : { approverHeader }),
  },
});
console.log(`Backflip service on ${service.url} — ${target.description}`);
console.log(
  `Alertmanager webhook: POST ${service.url}/alerts (VezaDeployFailed, env ${target.topology.env})`,
);
console.log(
  `Access: /alerts ${alertToken === undefined ? "open to anyone who reaches it" : "needs the bearer token"}; ` +
    `approvers ${approverHeader === undefined ? "type their name" : `from the ${approverHeader} header`}`,
);
