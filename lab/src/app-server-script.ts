import { APP_INNER_PORT, LAB_APP } from "./lab-settings";

/** Where the app server's script and identity file live inside each app container. */
export const APP_SERVER_PATHS = {
  script: "/opt/veza/lab-server.mjs",
  identity: "/opt/veza/IDENTITY",
} as const;

/**
 * The lab's app server (Node.js, from the host's `/usr` mounted read-only), pushed into
 * every app container and run by busybox init. Every request answers JSON with the
 * container's component, color and release SHA, read afresh from the release file; the
 * staged artifact of that release decides the status (`health=503` → 503, else 200).
 */
export const APP_SERVER_SCRIPT = `// Backflip lab app server: answers every path with its component, color and release.
import { readFileSync } from "node:fs";
import { createServer } from "node:http";

const [component, color] = readFileSync(${JSON.stringify(APP_SERVER_PATHS.identity)}, "utf8").trim().split(/\\s+/);
const read = (path) => {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return null;
  }
};

createServer((req, res) => {
  const sha = (read(${JSON.stringify(LAB_APP.releaseFile)}) ?? "").trim() || null;
  const artifact = sha ? read(\`${LAB_APP.stageDir}/veza-\${component}-\${sha}.tar.zst\`) : null;
  const broken = artifact !== null && /^health=503$/m.test(artifact);
  res.writeHead(broken ? 503 : 200, { "content-type": "application/json", connection: "close" });
  res.end(JSON.stringify({ status: broken ? "unhealthy" : "ok", component, color, sha, path: req.url }) + "\\n");
}).listen(${APP_INNER_PORT}, "127.0.0.1");
`;

/** The app container's `/etc/inittab`: loopback up, the app server kept running. */
export const APP_INITTAB = `::sysinit:/bin/busybox ip link set lo up
::respawn:/usr/bin/node ${APP_SERVER_PATHS.script}
::respawn:/bin/sleep 100000
`;

/** HAProxy's master CLI socket inside its container (`-S`): reloads go through it. */
export const HAPROXY_MASTER_SOCKET = "/run/haproxy/master.sock";

/**
 * HAProxy's `/etc/inittab`: loopback up, HAProxy master-worker in the foreground (master
 * pid in /run/haproxy.pid, master CLI on {@link HAPROXY_MASTER_SOCKET}).
 */
export const HAPROXY_INITTAB = `::sysinit:/bin/busybox ip link set lo up
::respawn:/usr/sbin/haproxy -W -db -S ${HAPROXY_MASTER_SOCKET} -f /etc/haproxy/haproxy.cfg -p /run/haproxy.pid
::respawn:/bin/sleep 100000
`;
