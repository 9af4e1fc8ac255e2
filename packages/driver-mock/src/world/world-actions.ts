import {
  colorContainers,
  containerName,
  datasetName,
  type HistoryEntry,
  type TrafficState,
} from "@backflip/core";
import {
  formatHistory,
  parseHaproxyConfig,
  parseHistory,
  renderHaproxyConfig,
  revisionOf,
} from "./haproxy-files";
import {
  type ContainerState,
  type DiskImage,
  emptyImage,
  fromUtf8,
  utf8,
  type WorldState,
} from "./world-state";

const SHA = /^[0-9a-f]{40}$/;

/** Adds (or replaces) a container and its dataset. */
export function putContainer(world: WorldState, container: ContainerState): void {
  world.containers.set(container.name, container);
  const dataset = datasetName(world.layout.snapshots, container.name);
  world.datasets.set(dataset, {
    name: dataset,
    container: container.name,
    image: container.image,
    snapshots: [],
  });
}

/** Removes a container with its dataset and snapshots. */
export function removeContainer(world: WorldState, name: string): void {
  world.containers.delete(name);
  world.datasets.delete(datasetName(world.layout.snapshots, name));
}

/** An app container's image holding `sha` as its release. */
function appImage(world: WorldState, sha: string): DiskImage {
  const image = emptyImage();
  const { releaseFile } = world.layout;
  image.files.set(releaseFile, utf8(`${sha}\n`));
  image.meta.set(releaseFile, { mode: 0o644, uid: 0, gid: 0 });
  return image;
}

/** (Re)creates every app container of `color` with release `sha`. */
export function deployColor(
  world: WorldState,
  color: string,
  sha: string,
  options: { running: boolean; healthy: boolean },
): void {
  for (const component of world.topology.containers.components) {
    const name = containerName(world.topology, component, color);
    removeContainer(world, name);
    putContainer(world, {
      name,
      role: "app",
      component,
      color,
      status: options.running ? "Running" : "Stopped",
      healthy: options.healthy,
      image: appImage(world, sha),
      snapshots: [],
    });
  }
}

/** Deletes every app container of `color`. */
export function destroyColor(world: WorldState, color: string): void {
  for (const name of colorContainers(world.topology, color)) removeContainer(world, name);
}

/** The release SHA a container carries (from the topology's release file), or `null`. */
export function releaseOf(world: WorldState, container: ContainerState | undefined): string | null {
  const bytes = container?.image.files.get(world.layout.releaseFile);
  if (!bytes) return null;
  const sha = fromUtf8(bytes).trim();
  return SHA.test(sha) ? sha : null;
}

/** The HAProxy container, or `undefined` when it is gone. */
export const haproxyOf = (world: WorldState): ContainerState | undefined =>
  world.containers.get(world.layout.proxy.container);

/** Reads a text file of a container, or `null`. */
export function readText(container: ContainerState | undefined, path: string): string | null {
  const bytes = container?.image.files.get(path);
  return bytes ? fromUtf8(bytes) : null;
}

/** Writes a text file of a container, keeping its metadata. */
export function writeText(container: ContainerState, path: string, text: string): void {
  container.image.files.set(path, utf8(text));
  if (!container.image.meta.has(path)) container.image.meta.set(path, { mode: 0o644, uid: 0, gid: 0 });
}

/** The state file's color and the history, as the traffic switch reads them. */
export function trafficState(world: WorldState): TrafficState | null {
  const haproxy = haproxyOf(world);
  const active = readText(haproxy, world.topology.traffic.stateFile)?.trim();
  if (!active) return null;
  const history = parseHistory(readText(haproxy, world.topology.traffic.historyFile) ?? "");
  return { activeColor: active, history };
}

/** The color the running proxy routes to, or `null` when the proxy is down or unconfigured. */
export function liveColor(world: WorldState): string | null {
  const haproxy = haproxyOf(world);
  if (haproxy?.status !== "Running" || world.loadedConfig === null) return null;
  return parseHaproxyConfig(world.loadedConfig).color;
}

/** Writes the state file and history exactly (bounded by the topology's history limit). */
export function writeTrafficState(world: WorldState, haproxy: ContainerState, state: TrafficState): void {
  const { stateFile, historyFile, historyLimit } = world.topology.traffic;
  writeText(haproxy, stateFile, `${state.activeColor}\n`);
  writeText(haproxy, historyFile, formatHistory(state.history, historyLimit));
}

/**
 * Installs a config without loading it, keeping the replaced one as `.prev` (installing
 * the same content again keeps `.prev`): the revision of the config kept as `.prev`.
 */
export function installConfig(world: WorldState, haproxy: ContainerState, content: string): string | null {
  const path = world.layout.proxy.configPath;
  const current = readText(haproxy, path);
  if (current === content) {
    const kept = readText(haproxy, `${path}.prev`);
    return kept === null ? null : parseHaproxyConfig(kept).revision;
  }
  if (current !== null) writeText(haproxy, `${path}.prev`, current);
  writeText(haproxy, path, content);
  return current === null ? null : parseHaproxyConfig(current).revision;
}

/**
 * The whole switch as the pipeline's playbook does it: render, install (keeping the
 * previous config), reload, write the state file and prepend a history line.
 */
export function switchTraffic(
  world: WorldState,
  entry: { color: string; sha?: string; runId: string; actor: string },
): void {
  const haproxy = haproxyOf(world);
  if (!haproxy) return;
  const content = renderHaproxyConfig(
    world.topology,
    entry.color,
    revisionOf(entry.color, entry.sha, entry.runId),
  );
  installConfig(world, haproxy, content);
  world.loadedConfig = content;
  const previous = trafficState(world)?.history ?? [];
  const line: HistoryEntry = {
    at: world.clock.now().toISOString(),
    color: entry.color,
    ...(entry.sha ? { sha: entry.sha } : {}),
    runId: entry.runId,
    actor: entry.actor,
  };
  writeTrafficState(world, haproxy, { activeColor: entry.color, history: [line, ...previous] });
}

/** Why an app container does not answer healthy, or `null` when it does. */
export function appUnhealthyReason(world: WorldState, name: string): string | null {
  const container = world.containers.get(name);
  if (!container) return "does not exist";
  if (container.status !== "Running") return "is not running";
  const sha = releaseOf(world, container);
  if (sha === null) return `carries no release (${world.layout.releaseFile})`;
  if (!container.healthy) return "is unhealthy";
  if (world.badReleases.has(sha)) return `runs the bad release ${sha.slice(0, 12)}`;
  return null;
}

/** An HTTP answer of the simulated fleet, or `refused` when nothing listens. */
export type HttpAnswer = { readonly refused: string } | { readonly status: number; readonly body: string };

/** What the fleet answers for a health URL: the public one or a container's own. */
export function answerHealth(world: WorldState, url: URL): HttpAnswer {
  const { topology } = world;
  const publicUrl = new URL(world.layout.publicHealthUrl);
  if (url.host === publicUrl.host && url.protocol === publicUrl.protocol) {
    if (url.pathname !== publicUrl.pathname) return { status: 404, body: "not found\n" };
    return publicAnswer(world);
  }
  const match = /^([a-zA-Z0-9-]+)\.fleet$/.exec(url.hostname);
  const container = match ? world.containers.get(match[1] ?? "") : undefined;
  if (container?.role !== "app") return { refused: `could not resolve host ${url.hostname}` };
  if (container.status !== "Running") return { refused: `connection refused by ${url.host}` };
  if (url.pathname !== topology.containers.healthPath) return { status: 404, body: "not found\n" };
  const reason = appUnhealthyReason(world, container.name);
  const body = (status: string) =>
    JSON.stringify({ status, container: container.name, sha: releaseOf(world, container) });
  return reason === null ? { status: 200, body: body("ok") } : { status: 503, body: body("unhealthy") };
}

function publicAnswer(world: WorldState): HttpAnswer {
  const color = liveColor(world);
  if (color === null)
    return { refused: `connection refused by ${new URL(world.layout.publicHealthUrl).host}` };
  const names = colorContainers(world.topology, color);
  const failing = names.filter((n) => appUnhealthyReason(world, n) !== null);
  const sha = releaseOf(world, world.containers.get(names[0] ?? ""));
  return failing.length === 0
    ? { status: 200, body: JSON.stringify({ status: "ok", color, sha }) }
    : { status: 503, body: JSON.stringify({ status: "unavailable", color, failing }) };
}
