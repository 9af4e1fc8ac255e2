import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { backendEnv } from "@backflip/core/testing";
import { createIncusHost } from "../src/create-incus-host";
import type { IncusHost } from "../src/incus-host";

const run = promisify(execFile);
const env = backendEnv("incus-cluster");
const split = (value: string | undefined) => (value ? value.split(",") : []);

/** The members `scripts/backends up incus-cluster` formed (m1, m2, m3), empty when it never ran. */
export const members = split(env?.INCUS_CLUSTER_MEMBERS);
const sockets = split(env?.INCUS_CLUSTER_SOCKETS);
const pidFiles = split(env?.INCUS_CLUSTER_PIDFILES);
/** The image imported into the cluster (`busybox`), or `undefined`. */
export const clusterImage = env?.INCUS_CLUSTER_IMAGE || undefined;

/** A host talking to `member`'s own incusd socket. */
export function memberHost(member: string): IncusHost {
  return createIncusHost({ socketPath: sockets[members.indexOf(member)], stopTimeoutS: 10 })._unsafeUnwrap();
}

/** True when every member answers on its socket. */
export async function clusterAvailable(): Promise<boolean> {
  if (members.length !== 3 || sockets.length !== 3) return false;
  for (const m of members) {
    const host = memberHost(m);
    const listed = await host.list();
    await host.close();
    if (listed.isErr()) return false;
  }
  return true;
}

/** Stops `member`'s incusd (SIGTERM by its pid) and waits until the process is gone. */
export async function stopMember(member: string): Promise<void> {
  const pid = Number((await readFile(pidFiles[members.indexOf(member)]!, "utf8")).trim());
  process.kill(pid, "SIGTERM");
  for (let i = 0; i < 300; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`incusd of ${member} (pid ${pid}) did not stop`);
}

const backends = fileURLToPath(new URL("../../../scripts/backends", import.meta.url));

/** Starts the members that are down again (`scripts/backends up incus-cluster`, idempotent). */
export async function restartMembers(): Promise<void> {
  await run("bash", [backends, "up", "incus-cluster"]);
}
