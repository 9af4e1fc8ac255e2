import { type HealthProbe, MemoryJournal, MemoryLeaseLock, type Topology } from "@backflip/core";
import { ok } from "neverthrow";
import type { Fleet, FleetDrivers } from "./create-fleet";
import { MockAlertSource } from "./drivers/mock-alert-source";
import { MockArtifactRegistry } from "./drivers/mock-artifact-registry";
import { MockContainerHost } from "./drivers/mock-container-host";
import { MockDatabase } from "./drivers/mock-database";
import { MockHealthProbe } from "./drivers/mock-health-probe";
import { MockPipeline } from "./drivers/mock-pipeline";
import { MockShell } from "./drivers/mock-shell";
import { MockSnapshotStore } from "./drivers/mock-snapshot-store";
import { MockTrafficSwitch } from "./drivers/mock-traffic-switch";
import type { FleetRuntime } from "./drivers/operation";
import { FleetJournal } from "./fleet-journal";
import { FleetLeaseLock } from "./fleet-lease-lock";
import { FleetWorld } from "./fleet-world";
import type { WorldState } from "./world/world-state";

const worlds = new WeakMap<Fleet, WorldState>();

/** The world state behind a fleet built by {@link assembleFleet} (for snapshots). */
export function worldOf(fleet: Fleet): WorldState | undefined {
  return worlds.get(fleet);
}

/**
 * Puts every driver, the journal and the lock of a fleet around a world state that is
 * already filled (seeded from a scenario, or restored from a snapshot). Internal: the
 * options were validated by the caller.
 */
export function assembleFleet(
  topology: Topology,
  world: WorldState,
  runtime: FleetRuntime,
  options: { readonly realPollCapMs: number; readonly probeFallback?: HealthProbe | undefined },
): Fleet {
  const { clock } = runtime;
  const store = new MemoryJournal();
  const drivers: FleetDrivers = {
    host: new MockContainerHost(world, runtime),
    traffic: new MockTrafficSwitch(world, runtime),
    probe: new MockHealthProbe(world, runtime, options.probeFallback),
    registry: new MockArtifactRegistry(world, runtime),
    pipeline: new MockPipeline(world, runtime, { realPollCapMs: options.realPollCapMs }),
    database: new MockDatabase(world, runtime),
    snapshots: new MockSnapshotStore(world, runtime),
    hostShell: new MockShell("mock:host", "hostShell", "host", { kind: "local" }, runtime, () =>
      ok(world.host),
    ),
    alerts: new MockAlertSource(world, runtime),
  };
  const healthPath = topology.containers.healthPath;
  const fleet: Fleet = {
    topology,
    drivers,
    world: new FleetWorld(world),
    faults: runtime.faults,
    clock,
    journal: new FleetJournal(store, runtime),
    lock: new FleetLeaseLock(new MemoryLeaseLock({ now: () => clock.now() }), runtime),
    crashingJournal: (afterRecords: number) =>
      new FleetJournal(
        store,
        runtime,
        Number.isInteger(afterRecords) && afterRecords >= 0 ? afterRecords : 0,
      ),
    publicHealthUrl: world.layout.publicHealthUrl,
    containerHealthUrl: (container: string) => `http://${container}.fleet${healthPath}`,
  };
  worlds.set(fleet, world);
  return fleet;
}
