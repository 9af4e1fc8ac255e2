import { createHash } from "node:crypto";
import { datasetName, type HistoryEntry, otherColor } from "@backflip/core";
import type { FleetScenario } from "../fleet-scenario";
import { renderHaproxyConfig, revisionOf } from "./haproxy-files";
import { deployColor, putContainer, writeText, writeTrafficState } from "./world-actions";
import { cloneImage, type DbTable, emptyImage, utf8, type WorldState } from "./world-state";

const HOUR = 3_600_000;

/** The history a scenario implies when it gives none: the active color, then the other, an hour apart. */
function defaultHistory(world: WorldState, scenario: FleetScenario): HistoryEntry[] {
  const now = world.clock.epochMs();
  const entries: HistoryEntry[] = [];
  const active = scenario.colors[scenario.active];
  if (active)
    entries.push({
      at: new Date(now - HOUR).toISOString(),
      color: scenario.active,
      sha: active.sha,
      actor: "deploy",
    });
  const priorColor = otherColor(world.topology, scenario.active);
  const prior = scenario.colors[priorColor];
  if (prior)
    entries.push({
      at: new Date(now - 2 * HOUR).toISOString(),
      color: priorColor,
      sha: prior.sha,
      actor: "deploy",
    });
  return entries;
}

function database(scenario: FleetScenario): Map<string, DbTable> {
  const db = new Map<string, DbTable>();
  const migration = scenario.migration ?? { version: 1, dirty: false };
  if (migration !== "unmanaged") {
    db.set("schema_migrations", {
      columns: ["version", "dirty"],
      rows: migration.version === null ? [] : [{ version: migration.version, dirty: migration.dirty }],
    });
  }
  db.set("users", {
    columns: ["id", "email"],
    rows: [
      { id: 1, email: "ada@veza.fr" },
      { id: 2, email: "grace@veza.fr" },
    ],
  });
  return db;
}

/** Fills an empty world from a validated scenario. */
export function seedWorld(world: WorldState, scenario: FleetScenario): void {
  const { topology } = world;
  for (const color of topology.colors) {
    const c = scenario.colors[color];
    if (c) deployColor(world, color, c.sha, { running: c.running, healthy: c.healthy });
  }
  const history = scenario.history ? [...scenario.history] : defaultHistory(world, scenario);
  const activeSha =
    scenario.colors[scenario.active]?.sha ?? history.find((h) => h.color === scenario.active)?.sha;

  const { layout } = world;
  const haproxy = { name: layout.proxy.container, role: "haproxy" as const, status: "Running" as const };
  putContainer(world, { ...haproxy, healthy: true, image: emptyImage(), snapshots: [] });
  const proxy = world.containers.get(layout.proxy.container);
  if (proxy) {
    const config = renderHaproxyConfig(
      topology,
      scenario.active,
      revisionOf(scenario.active, activeSha, "seed"),
    );
    writeText(proxy, layout.proxy.configPath, config);
    world.loadedConfig = config;
    writeTrafficState(world, proxy, { activeColor: scenario.active, history });
  }

  putContainer(world, {
    name: layout.databaseContainer,
    role: "postgres",
    status: "Running",
    healthy: true,
    image: emptyImage(database(scenario)),
    snapshots: [],
  });
  const pg = world.datasets.get(datasetName(layout.snapshots, layout.databaseContainer));
  if (pg && activeSha) {
    const at = history.find((h) => h.color === scenario.active)?.at;
    pg.snapshots.push({
      name: `${layout.snapshots.prefix}${activeSha}`,
      createdAt: at ? new Date(at) : world.clock.now(),
      image: cloneImage(pg.image),
    });
  }

  const priorSha = scenario.colors[otherColor(topology, scenario.active)]?.sha;
  const shas = scenario.artifacts ?? [
    ...new Set([priorSha, activeSha].filter((s): s is string => s !== undefined)),
  ];
  const now = world.clock.epochMs();
  for (const component of topology.containers.components) {
    world.artifacts.set(
      component,
      shas.map((sha, i) => {
        const bytes = artifactBytes(component, sha);
        const seen = history.findLast((h) => h.sha === sha)?.at;
        return {
          component,
          sha,
          bytes,
          sha256: sha256Hex(bytes),
          createdAt: seen ? new Date(seen) : new Date(now - (shas.length - i + 2) * HOUR),
          seq: world.artifactSeq++,
        };
      }),
    );
  }
}

/** The deterministic content of a seeded artifact. */
export const artifactBytes = (component: string, sha: string): Uint8Array =>
  utf8(`simulated artifact veza-${component} ${sha}\n`.repeat(16));

/** Lower-case hex SHA-256 of bytes. */
export const sha256Hex = (bytes: Uint8Array): string => createHash("sha256").update(bytes).digest("hex");
