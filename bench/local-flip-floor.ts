import { execFile, spawn } from "node:child_process";
import { open, readFile, rename } from "node:fs/promises";
import { dirname } from "node:path";
import type { FloorSamples } from "./floor-samples";
import { haproxySocket, mapValue, waitCfgRev, withCfgRev } from "./haproxy-socket";

/** The operations under a local reload-mode flip, in the order it must do them. */
export const RELOAD_FLOOR_OPS = ["write", "check", "rename", "reload"] as const;
/** The operations under a local runtime-map flip, in the order it must do them. */
export const MAP_FLOOR_OPS = ["write", "rename", "set-show-map"] as const;

/** A local HAProxy (master-worker, `-p pidFile`) and its files. */
export interface LocalHaproxy {
  readonly haproxyBin: string;
  readonly configPath: string;
  readonly pidFile: string;
  readonly statsSocket: string;
  readonly mapFile: string;
}

/** Writes and fsyncs `path` (a new file), with plain system calls. */
async function writeSynced(path: string, content: string): Promise<void> {
  const handle = await open(path, "w", 0o644);
  try {
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Renames `from` over `to` and fsyncs the directory. */
async function renameSynced(from: string, to: string): Promise<void> {
  await rename(from, to);
  const dir = await open(dirname(to), "r");
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

/** Runs `argv` in this process's session, or (`ownSession`) in a new one, as core's LocalShell does. */
const run = (argv: readonly string[], ownSession = false) =>
  new Promise<void>((resolve, reject) => {
    if (!ownSession) {
      execFile(argv[0] as string, argv.slice(1), (error) => (error ? reject(error) : resolve()));
      return;
    }
    const child = spawn(argv[0] as string, argv.slice(1), { detached: true, stdio: "ignore" });
    child.once("error", reject);
    child.once("exit", (code) => (code === 0 ? resolve() : reject(new Error(`${argv[0]} exited ${code}`))));
  });

/**
 * One reload-mode floor, done directly (no SDK): the live config re-stamped with a new
 * revision written and fsynced beside it, `haproxy -c` of it, renamed over the live file
 * (directory fsynced), USR2 to the master, and `get var proc.cfg_rev` until the new
 * worker answers with that revision. Routes exactly as before. With `ownSession`, the
 * same check is also timed as core's LocalShell starts it (a new session), outside the floor.
 */
export async function reloadFloor(
  h: LocalHaproxy,
  floor: FloorSamples<(typeof RELOAD_FLOOR_OPS)[number]>,
  n: number,
  ownSession?: FloorSamples<"check in its own session">,
): Promise<void> {
  const revision = `floor-${process.pid}-${n}`;
  const content = withCfgRev(await readFile(h.configPath, "utf8"), revision);
  const candidate = `${h.configPath}.floor`;
  await floor.time("write", () => writeSynced(candidate, content));
  await floor.time("check", () => run([h.haproxyBin, "-c", "-q", "-f", candidate]));
  await ownSession?.time("check in its own session", () =>
    run([h.haproxyBin, "-c", "-q", "-f", candidate], true),
  );
  await floor.time("rename", () => renameSynced(candidate, h.configPath));
  await floor.time("reload", async () => {
    const pid = Number((await readFile(h.pidFile, "utf8")).trim());
    process.kill(pid, "SIGUSR2");
    await waitCfgRev(h.statsSocket, revision);
  });
}

/**
 * One runtime-map floor, done directly: the map file written and fsynced beside itself,
 * renamed over the live one, and one `set map`/`show map` round trip on the stats socket
 * (setting the first key to the value it has, so routing does not change).
 */
export async function mapFloor(
  h: LocalHaproxy,
  floor: FloorSamples<(typeof MAP_FLOOR_OPS)[number]>,
  key: string,
): Promise<void> {
  const content = await readFile(h.mapFile, "utf8");
  const value = mapValue(await haproxySocket(h.statsSocket, `show map ${h.mapFile}`), key);
  if (value === undefined) throw new Error(`the running map has no ${key}`);
  const candidate = `${h.mapFile}.floor`;
  await floor.time("write", () => writeSynced(candidate, content));
  await floor.time("rename", () => renameSynced(candidate, h.mapFile));
  const reply = await floor.time("set-show-map", () =>
    haproxySocket(h.statsSocket, `set map ${h.mapFile} ${key} ${value};show map ${h.mapFile}`),
  );
  if (mapValue(reply, key) !== value) throw new Error(`set map ${key} did not take: ${reply.trim()}`);
}
