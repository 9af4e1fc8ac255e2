import { colorContainers, type DriverError, type Shell, type Topology } from "@backflip/core";
import type { IncusHost } from "@backflip/driver-incus";
import type { Result, ResultAsync } from "neverthrow";
import { labHostSocket, labTrafficSwitch } from "../lab/src/lab-drivers";
import { type LabEdge, labEdgeHealthUrl } from "../lab/src/lab-settings";
import type { FloorSamples } from "./floor-samples";
import { haproxySocket, mapValue, waitCfgRev, withCfgRev } from "./haproxy-socket";

/** The operations under a reload-mode flip on the lab, in the order it must do them. */
export const LAB_RELOAD_FLOOR_OPS = ["write", "check", "rename", "reload", "probe"] as const;
/** The operations under a runtime-map flip on the lab, in the order it must do them. */
export const LAB_MAP_FLOOR_OPS = ["write", "set-show-map", "probe"] as const;

/** The lab's HAProxy as the floor reaches it: its container's Shell, its files and sockets, the public URL. */
export interface LabHaproxy {
  /** driver-incus's Shell into the HAProxy container (exec, and files over SFTP): the driver's channel. */
  readonly shell: Shell;
  readonly configPath: string;
  readonly mapFile: string;
  /** Host ends of the stats socket and the master CLI (Incus proxy devices). */
  readonly adminSocket: string;
  readonly masterSocket: string;
  readonly publicUrl: string;
}

/**
 * One edge of the lab's fleet (edge 1 is the lab's one HAProxy) as the floor reaches it:
 * a Shell into its container on `host`, the config and map paths of its reload- and
 * map-mode switches, its sockets' host ends and its public health URL.
 */
export function labEdgeHaproxy(
  host: IncusHost,
  topology: Topology,
  edge: LabEdge,
): Result<LabHaproxy, DriverError> {
  return labTrafficSwitch(host, topology, { edge }).andThen((reload) =>
    labTrafficSwitch(host, topology, { edge, mode: "map" }).map((map) => ({
      shell: host.shell(edge.container),
      configPath: reload.livePath,
      mapFile: map.livePath,
      adminSocket: labHostSocket("admin", edge),
      masterSocket: labHostSocket("master", edge),
      publicUrl: labEdgeHealthUrl(edge, topology),
    })),
  );
}

const files = (h: LabHaproxy) => {
  if (!h.shell.files?.rename) throw new Error(`${h.shell.name} has no files with rename`);
  return h.shell.files as Required<NonNullable<Shell["files"]>>;
};

/** Throws the error of a failed Result. */
async function must<T>(r: ResultAsync<T, DriverError>, what: string): Promise<T> {
  const result = await r;
  if (result.isErr()) throw new Error(`${what}: ${result.error.message}`);
  return result.value;
}

/** The public URL answering 200 with `color` in its body. */
async function probe(url: string, color: string): Promise<void> {
  const res = await fetch(url, { headers: { connection: "close" } });
  const body = await res.text();
  if (!res.ok || !body.includes(`"color":"${color}"`))
    throw new Error(`${url} answered ${res.status} ${body.slice(0, 200)}`);
}

/** One `incus exec` round trip (`true`) into the container, through driver-incus. */
export async function labExecRoundTrip(h: LabHaproxy): Promise<void> {
  const r = await must(h.shell.run(["true"]), "exec true");
  if (r.exitCode !== 0) throw new Error(`true exited ${r.exitCode}`);
}

/** One HAProxy's reload-mode floor operations, to run in this order. */
export interface LabReloadOps {
  /** The live config re-stamped with the revision, written beside it over SFTP. */
  readonly write: () => Promise<void>;
  /** `haproxy -c` of that candidate in the container (one exec). */
  readonly check: () => Promise<void>;
  /** The candidate renamed over the live file. */
  readonly rename: () => Promise<void>;
  /** `reload` on the master CLI. */
  readonly reload: () => Promise<void>;
  /** `get var proc.cfg_rev` until the new worker answers the revision. */
  readonly confirm: () => Promise<void>;
  /** The public probe showing the color. */
  readonly probe: () => Promise<void>;
}

/**
 * {@link LabReloadOps} on `h` for `revision` (new to it), its live config read first
 * (untimed). They re-stamp the live config only: `h` routes to `color` before and after.
 */
export async function labReloadOps(h: LabHaproxy, revision: string, color: string): Promise<LabReloadOps> {
  const f = files(h);
  const live = new TextDecoder().decode(await must(f.readFile(h.configPath), "read config"));
  const candidate = `${h.configPath}.floor`;
  return {
    write: () => must(f.writeFileAtomic(candidate, withCfgRev(live, revision)), "write"),
    check: async () => {
      const r = await must(h.shell.run(["haproxy", "-c", "-q", "-f", candidate]), "haproxy -c");
      if (r.exitCode !== 0) throw new Error(`haproxy -c exited ${r.exitCode}: ${r.stderr}`);
    },
    rename: () => must(f.rename(candidate, h.configPath), "rename"),
    reload: async () => {
      await haproxySocket(h.masterSocket, "reload");
    },
    confirm: () => waitCfgRev(h.adminSocket, revision),
    probe: () => probe(h.publicUrl, color),
  };
}

/**
 * One reload-mode floor on the lab, without the SDK's switch: the live config re-stamped
 * with a new revision written beside it over SFTP, `haproxy -c` of it in the container
 * (one exec), renamed over the live file, `reload` on the master CLI and `get var
 * proc.cfg_rev` until the new worker answers it, then the public probe showing `color`.
 * Routes exactly as before.
 */
export async function labReloadFloor(
  h: LabHaproxy,
  floor: FloorSamples<(typeof LAB_RELOAD_FLOOR_OPS)[number]>,
  color: string,
  n: number,
): Promise<void> {
  const op = await labReloadOps(h, `floor-${process.pid}-${n}`, color);
  await floor.time("write", op.write);
  await floor.time("check", op.check);
  await floor.time("rename", op.rename);
  await floor.time("reload", async () => {
    await op.reload();
    await op.confirm();
  });
  await floor.time("probe", op.probe);
}

/** One HAProxy's runtime-map floor operations, to run in this order. */
export interface LabMapOps {
  /** The map file written over SFTP (same content). */
  readonly write: () => Promise<void>;
  /** One `set map`/`show map` round trip on the stats socket (the key set to the value it has), checked. */
  readonly setShowMap: () => Promise<void>;
  /** The public probe showing the color. */
  readonly probe: () => Promise<void>;
}

/** {@link LabMapOps} on `h` for `key`, its map file and `key`'s running value read first (untimed). */
export async function labMapOps(h: LabHaproxy, key: string, color: string): Promise<LabMapOps> {
  const f = files(h);
  const content = await must(f.readFile(h.mapFile), "read map");
  const value = mapValue(await haproxySocket(h.adminSocket, `show map ${h.mapFile}`), key);
  if (value === undefined) throw new Error(`the running map has no ${key}`);
  return {
    write: () => must(f.writeFileAtomic(h.mapFile, content), "write map"),
    setShowMap: async () => {
      const reply = await haproxySocket(
        h.adminSocket,
        `set map ${h.mapFile} ${key} ${value};show map ${h.mapFile}`,
      );
      if (mapValue(reply, key) !== value) throw new Error(`set map ${key} did not take: ${reply.trim()}`);
    },
    probe: () => probe(h.publicUrl, color),
  };
}

/**
 * One runtime-map floor on the lab: the map file written over SFTP (same content), one
 * `set map`/`show map` round trip on the stats socket (the first key set to the value it
 * has), then the public probe showing `color`.
 */
export async function labMapFloor(
  h: LabHaproxy,
  floor: FloorSamples<(typeof LAB_MAP_FLOOR_OPS)[number]>,
  key: string,
  color: string,
): Promise<void> {
  const op = await labMapOps(h, key, color);
  await floor.time("write", op.write);
  await floor.time("set-show-map", op.setShowMap);
  await floor.time("probe", op.probe);
}

/**
 * Path 1's operations in runtime-map mode, in the order it must do them: the runbook's
 * pre-checks and the validation at once (the target color's containers from Incus; the
 * active-color and history files; the running HAProxy's backends and maps), the map
 * written with the previous one kept, `set map`/`show map`, the record (the active-color
 * file, then the history), the public probe.
 */
export const LAB_MAP_PATH_OPS = ["checks", "write", "set-show-map", "record", "probe"] as const;

/**
 * One Path 1 in runtime-map mode on the lab done directly, without the SDK (no plan,
 * lease, fence or journal): the map floor ({@link labMapFloor}) with what the runbook and
 * "nothing is lost" add around it. The checks ask Incus for the containers of the color
 * a flip would go to, the one not active (driver-incus's `list`, as Path 1's check does),
 * while both state files are read over SFTP and the running HAProxy lists its backends and maps (`show backend;show map`, what
 * validating a map checks); the write first links the live map to `.prev`, as an install
 * keeps the previous one; the record writes both state files back as they were (the
 * active color first). Routes and state stay as they were.
 */
export async function labMapPathFloor(
  h: LabHaproxy,
  host: IncusHost,
  topology: Topology,
  floor: FloorSamples<(typeof LAB_MAP_PATH_OPS)[number]>,
  key: string,
): Promise<void> {
  const f = files(h);
  const { stateFile, historyFile } = topology.traffic;
  const active = new TextDecoder().decode(await must(f.readFile(stateFile), "read active color")).trim();
  const op = await labMapOps(h, key, active);
  const names = colorContainers(topology, topology.colors.find((c) => c !== active) ?? active);
  const [, color, history] = await floor.time("checks", () =>
    Promise.all([
      must(host.list({ names }), "list containers").then((found) => {
        const down = names.filter((n) => !found.some((i) => i.name === n && i.running));
        if (down.length > 0) throw new Error(`not RUNNING: ${down.join(", ")}`);
      }),
      must(f.readFile(stateFile), "read active color"),
      must(f.readFile(historyFile), "read history"),
      haproxySocket(h.adminSocket, "show backend;show map").then((reply) => {
        if (!reply.includes(`(${h.mapFile})`)) throw new Error(`HAProxy does not use ${h.mapFile}`);
      }),
    ]),
  );
  await floor.time("write", async () => {
    await must(f.link(h.mapFile, `${h.mapFile}.prev`), "keep the previous map");
    await op.write();
  });
  await floor.time("set-show-map", op.setShowMap);
  await floor.time("record", async () => {
    await must(f.writeFileAtomic(stateFile, color), "write active color");
    await must(f.writeFileAtomic(historyFile, history), "write history");
  });
  await floor.time("probe", op.probe);
}
