import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { backendEnv } from "@backflip/core/testing";
import { createIncusHost } from "../src/create-incus-host";

const run = promisify(execFile);

/** The socket `scripts/backends up incus` wrote, or `undefined` when Incus was never brought up. */
export const incusSocket = backendEnv("incus")?.INCUS_SOCKET;
/** The image tests launch (the locally built busybox). */
export const incusImage = backendEnv("incus")?.INCUS_IMAGE ?? "busybox";

/** True when the real incusd answers on its socket. */
export async function incusAvailable(): Promise<boolean> {
  if (!incusSocket) return false;
  const host = createIncusHost({ socketPath: incusSocket });
  if (host.isErr()) return false;
  const listed = await host.value.list();
  await host.value.close();
  return listed.isOk();
}

/** Runs the incus CLI (argv, no shell) against the test socket, stdin closed (`launch` reads YAML from it). */
export async function incus(...args: string[]): Promise<string> {
  const pending = run("incus", args, { env: { ...process.env, INCUS_SOCKET: incusSocket } });
  pending.child.stdin?.end();
  return (await pending).stdout;
}

/** Pastes a dry-run line into `sh -c` as an operator would, the incus CLI pointed at the test socket; its stdout. */
export async function paste(line: string): Promise<string> {
  return (await run("sh", ["-c", line], { env: { ...process.env, INCUS_SOCKET: incusSocket } })).stdout;
}

/** Launches a fresh busybox container (deleting a leftover of the same name first); stopped when asked. */
export async function launch(name: string, options: { stopped?: boolean } = {}): Promise<string> {
  await destroy(name);
  await incus(options.stopped ? "init" : "launch", incusImage, name);
  return name;
}

/** Deletes a container if it exists (forced). */
export async function destroy(name: string): Promise<void> {
  await incus("delete", "--force", name).catch(() => undefined);
}
