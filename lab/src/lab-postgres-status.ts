import { datasetName, type FullTopology, formatDriverError, type InstanceInfo } from "@backflip/core";
import { createPgDatabase } from "@backflip/driver-postgres";
import { ZfsSnapshotStore } from "@backflip/driver-zfs";
import { labHostShell } from "./lab-host-shell";
import { LAB_SCHEMA_VERSION, PRE_DEPLOY_VERSIONS } from "./lab-migrations";
import { LAB_POOL, LAB_POSTGRES, missingPath3Backends } from "./lab-postgres-settings";
import { LAB_RELEASES } from "./lab-releases";
import { onHost } from "./lab-zfs";

/** `pnpm lab status`'s Path 3 lines: one line per piece, and whether every piece is as `lab up` leaves it. */
export interface PieceLines {
  readonly ok: boolean;
  readonly lines: string[];
}

/**
 * The Path 3 part of `pnpm lab status`, read-only: `veza-lab-postgres` and the schema
 * version read over the wire on 127.0.0.1:18640 (through the proxy device); the pool and
 * the dataset (over SSH, as the host's operator); the dataset's snapshots, each named
 * with the lab release it precedes.
 */
export async function labPostgresStatus(
  topology: FullTopology,
  instances: readonly InstanceInfo[],
): Promise<PieceLines> {
  const lines: string[] = [];
  let ok = true;
  const add = (good: boolean, line: string) => {
    if (!good) ok = false;
    lines.push(line);
  };
  const container = topology.database.container;
  const missing = missingPath3Backends();
  if (missing.length > 0) {
    add(
      false,
      `${container}: not provisioned (run \`scripts/backends up ${missing.join(" ")}\`, then \`pnpm lab up\`)`,
    );
    return { ok, lines };
  }
  const info = instances.find((i) => i.name === container);
  if (!info) add(false, `${container}: missing`);
  else {
    const wire = createPgDatabase({
      host: "127.0.0.1",
      port: LAB_POSTGRES.port,
      user: topology.database.user,
      database: topology.database.name,
      connectTimeoutMs: 3_000,
    });
    const state = wire.isOk() ? await wire.value.migrationState() : wire;
    add(
      info.running && state.isOk() && state.value.version === LAB_SCHEMA_VERSION && !state.value.dirty,
      `${container}: ${info.status}, PostgreSQL on 127.0.0.1:${LAB_POSTGRES.port} → ${
        state.isOk()
          ? `schema_migrations ${state.value.version ?? "none"}${state.value.dirty ? " (dirty)" : ""} (lab up leaves ${LAB_SCHEMA_VERSION})`
          : formatDriverError(state.error)
      }`,
    );
  }
  const shell = labHostShell();
  if (shell.isErr()) {
    add(false, `zfs: ${formatDriverError(shell.error)}`);
    return { ok, lines };
  }
  const ssh = shell.value;
  const dataset = datasetName(topology.snapshots, container);
  const pool = await onHost(ssh, ["zpool", "list", "-H", "-o", "health", LAB_POOL], { okExitCodes: [0, 1] });
  const mounted = await onHost(ssh, ["zfs", "get", "-H", "-o", "value", "mounted,mountpoint", dataset], {
    okExitCodes: [0, 1],
  });
  if (pool.isErr()) add(false, `zfs: ${formatDriverError(pool.error)}`);
  else if (pool.value.exitCode !== 0) add(false, `zfs: pool ${LAB_POOL} not imported`);
  else if (mounted.isErr() || mounted.value.exitCode !== 0)
    add(false, `zfs: pool ${LAB_POOL} ${pool.value.stdout.trim()}, ${dataset} missing`);
  else {
    const [isMounted, mountpoint] = mounted.value.stdout.trim().split("\n");
    add(
      isMounted === "yes",
      `zfs: pool ${LAB_POOL} ${pool.value.stdout.trim()}, ${dataset} ${isMounted === "yes" ? "mounted at" : "NOT mounted, mountpoint"} ${mountpoint ?? "?"}`,
    );
    const store = ZfsSnapshotStore.create({ shell: ssh, topology });
    const listed = store.isOk() ? await store.value.list(dataset) : store;
    if (listed.isErr()) add(false, `zfs: snapshots: ${formatDriverError(listed.error)}`);
    else {
      const release = (name: string) =>
        Object.entries(LAB_RELEASES).find(([, sha]) => name === `${topology.snapshots.prefix}${sha}`)?.[0];
      const names = listed.value.map((s) => s.name);
      const all = PRE_DEPLOY_VERSIONS.every((p) =>
        names.includes(`${topology.snapshots.prefix}${LAB_RELEASES[p.release]}`),
      );
      add(
        all,
        `zfs: ${listed.value.length} snapshot(s) of ${dataset}${all ? "" : " (some lab pre-deploy snapshots are missing)"}`,
      );
      for (const s of listed.value)
        lines.push(
          `  @${s.name} (${s.createdAt}${release(s.name) ? `, before release ${release(s.name)}` : ""})`,
        );
    }
  }
  await ssh.close();
  return { ok, lines };
}
