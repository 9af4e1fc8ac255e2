import { formatDriverError } from "@backflip/core";
import { fileDegradedMarker } from "@backflip/core/recipes";
import { okAsync, ok as okResult } from "neverthrow";
import { labDrivers, labTrafficSwitch } from "./lab-drivers";
import { labFleetMarkerPath } from "./lab-fleet";
import { labPostgresStatus } from "./lab-postgres-status";
import { readRegistryState, registryAlive } from "./lab-registry";
import { labArtifactRefs } from "./lab-registry-seed";
import { LAB_EDGES, labApps, labEdgeHealthUrl, labStateDir, labTopology } from "./lab-settings";
import { LAB_SITE } from "./lab-site";

/** What `pnpm lab status` found: one line per piece, and whether every piece is up. */
export interface LabStatus {
  readonly ok: boolean;
  readonly lines: string[];
}

/**
 * `pnpm lab status`: the registry process and its artifacts, every lab container's
 * state and health answer, each fleet edge's live revision, state file and public URL
 * (and whether the fleet is split or marked degraded),
 * `veza-lab-postgres` with its schema version, the pool, the dataset and its snapshots.
 * Read-only.
 */
export async function labStatus(): Promise<LabStatus> {
  const topology = labTopology();
  const lines: string[] = [`site: ${LAB_SITE.name}, state dir: ${labStateDir()}`];
  let ok = true;
  const bad = (line: string) => {
    ok = false;
    lines.push(line);
  };
  const registry = readRegistryState();
  const alive = (await registryAlive(registry))._unsafeUnwrap();
  if (!registry || !alive) {
    bad(`registry: down${registry ? ` (stale pid ${registry.pid})` : ""}`);
    return { ok: false, lines: [...lines, "run `pnpm lab up`"] };
  }
  const built = labDrivers(topology);
  if (built.isErr()) return { ok: false, lines: [...lines, `drivers: ${formatDriverError(built.error)}`] };
  const d = built.value;
  const refs = labArtifactRefs(topology);
  let present = 0;
  for (const ref of refs) {
    const info = await d.registry.stat(ref);
    if (info.isOk() && info.value !== null) present++;
  }
  (present === refs.length ? lines.push.bind(lines) : bad)(
    `registry: fake Forgejo on ${registry.baseUrl} (pid ${registry.pid}), ${present}/${refs.length} lab artifacts`,
  );
  const listed = await d.host.list({ pattern: "veza-lab-*" });
  const instances = listed.isOk() ? listed.value : [];
  if (listed.isErr()) bad(`incus: ${formatDriverError(listed.error)}`);
  for (const app of labApps(topology)) {
    const info = instances.find((i) => i.name === app.name);
    if (!info) {
      bad(`${app.name}: missing`);
      continue;
    }
    const health = await d.probe.check({
      url: `http://127.0.0.1:${app.port}${topology.containers.healthPath}`,
      attempts: 1,
    });
    const answer = health.isOk() ? health.value.body.trim() : formatDriverError(health.error);
    (info.running && health.isOk() ? lines.push.bind(lines) : bad)(
      `${app.name}: ${info.status}${info.location ? ` on ${info.location}` : ""}, 127.0.0.1:${app.port} → ${answer}`,
    );
  }
  const colors = new Set<string>();
  for (const edge of LAB_EDGES) {
    const proxy = instances.find((i) => i.name === edge.container);
    const sw = edge === LAB_EDGES[0] ? okResult(d.traffic) : labTrafficSwitch(d.host, topology, { edge });
    if (!proxy || sw.isErr()) {
      bad(`${edge.container} (${edge.name}): ${sw.isErr() ? formatDriverError(sw.error) : "missing"}`);
      continue;
    }
    const rev = await sw.value.liveRevision().orElse((e) => okAsync(`(${formatDriverError(e)})`));
    const state = await sw.value.readState();
    const head = state.isOk() ? state.value.history[0] : undefined;
    if (state.isOk()) colors.add(state.value.activeColor);
    (proxy.running && state.isOk() ? lines.push.bind(lines) : bad)(
      `${proxy.name} (${edge.name}): ${proxy.status}${proxy.location ? ` on ${proxy.location}` : ""}, live revision ${rev.isOk() ? rev.value : "?"}, state file ${
        state.isOk() ? state.value.activeColor : formatDriverError(state.error)
      }, history head ${head ? `${head.color} ${head.sha?.slice(0, 12) ?? "-"}` : "-"}`,
    );
    const url = labEdgeHealthUrl(edge, topology);
    const pub = await d.probe.check({ url, attempts: 1 });
    (pub.isOk() ? lines.push.bind(lines) : bad)(
      `${edge === LAB_EDGES[0] ? "public" : `${edge.name} public`}: ${url} → ${
        pub.isOk() ? pub.value.body.trim() : formatDriverError(pub.error)
      }`,
    );
  }
  // A split fleet is reported, not failed: fleet flips converge it (docs/fleets.md).
  if (colors.size > 1) lines.push(`fleet: split (${[...colors].join(", ")}): converge with a fleet flip`);
  const marker = await fileDegradedMarker(labFleetMarkerPath()).read();
  if (marker.isErr() || marker.value !== null)
    lines.push(
      `fleet: degraded marker ${
        marker.isErr()
          ? formatDriverError(marker.error)
          : `of run ${marker.value?.runId}: ${marker.value?.lagging.map((l) => l.edge).join(", ")} left behind on purpose`
      }`,
    );
  if (LAB_SITE.full) {
    const data = await labPostgresStatus(topology, instances);
    if (!data.ok) ok = false;
    lines.push(...data.lines);
  }
  await d.host.close();
  return { ok, lines };
}
