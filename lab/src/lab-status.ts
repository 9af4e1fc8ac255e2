import { formatDriverError } from "@backflip/core";
import { okAsync } from "neverthrow";
import { labDrivers } from "./lab-drivers";
import { labPostgresStatus } from "./lab-postgres-status";
import { readRegistryState, registryAlive } from "./lab-registry";
import { labArtifactRefs } from "./lab-registry-seed";
import { LAB_HAPROXY, labApps, labStateDir, labTopology } from "./lab-settings";

/** What `pnpm lab status` found: one line per piece, and whether every piece is up. */
export interface LabStatus {
  readonly ok: boolean;
  readonly lines: string[];
}

/**
 * `pnpm lab status`: the registry process and its artifacts, every lab container's
 * state and health answer, HAProxy's live revision and state file, the public URL,
 * `veza-lab-postgres` with its schema version, the pool, the dataset and its snapshots.
 * Read-only.
 */
export async function labStatus(): Promise<LabStatus> {
  const topology = labTopology();
  const lines: string[] = [`state dir: ${labStateDir()}`];
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
      `${app.name}: ${info.status}, 127.0.0.1:${app.port} → ${answer}`,
    );
  }
  const proxy = instances.find((i) => i.name === LAB_HAPROXY.container);
  if (!proxy) bad(`${LAB_HAPROXY.container}: missing`);
  else {
    const rev = await d.traffic.liveRevision().orElse((e) => okAsync(`(${formatDriverError(e)})`));
    const state = await d.traffic.readState();
    const head = state.isOk() ? state.value.history[0] : undefined;
    (proxy.running && state.isOk() ? lines.push.bind(lines) : bad)(
      `${proxy.name}: ${proxy.status}, live revision ${rev.isOk() ? rev.value : "?"}, state file ${
        state.isOk() ? state.value.activeColor : formatDriverError(state.error)
      }, history head ${head ? `${head.color} ${head.sha?.slice(0, 12) ?? "-"}` : "-"}`,
    );
  }
  const pub = await d.probe.check({ url: topology.publicHealthUrl, attempts: 1 });
  (pub.isOk() ? lines.push.bind(lines) : bad)(
    `public: ${topology.publicHealthUrl} → ${pub.isOk() ? pub.value.body.trim() : formatDriverError(pub.error)}`,
  );
  const data = await labPostgresStatus(topology, instances);
  if (!data.ok) ok = false;
  lines.push(...data.lines);
  await d.host.close();
  return { ok, lines };
}
