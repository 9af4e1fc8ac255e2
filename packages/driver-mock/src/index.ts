/**
 * Backflip's simulated fleet: one consistent in-memory world (containers, HAProxy,
 * registry, Actions runs, database, ZFS datasets, alerts) behind every port, with fault
 * injection and a deterministic clock — what the demo, the examples and the recipe
 * tests run on.
 * @module \@backflip/driver-mock
 * @document ../README.md
 */

export type { Fleet, FleetDrivers, FleetOptions } from "./create-fleet";
export { createFleet, FLEET_EPOCH, tryCreateFleet } from "./create-fleet";
export type { EdgeFleet } from "./create-edge-fleet";
export { createEdgeFleet } from "./create-edge-fleet";
export { SHELL_COMMANDS } from "./drivers/shell-programs";
export type { FailOptions, FaultInjector } from "./fault-injector";
export type { ClockMode, FleetClock } from "./fleet-clock";
export type { FleetOp } from "./fleet-ops";
export type { FleetSnapshot, RestoreFleetOptions } from "./fleet-snapshot";
export { FLEET_SNAPSHOT_FORMAT, restoreFleet, snapshotFleet } from "./fleet-snapshot";
export { FLEET_OPS } from "./fleet-ops";
export type { ColorScenario, FleetScenario } from "./fleet-scenario";
export { defaultScenario, fleetSha } from "./fleet-scenario";
export type {
  AlertsView,
  ArtifactView,
  ContainerView,
  DatasetView,
  HealthView,
  RunView,
  TableView,
  TrafficView,
} from "./fleet-world";
export type { FleetWorld } from "./fleet-world";
export type { ContainerRole, DbValue, WorkflowOutcome } from "./world/world-state";
export { SQL_SUBSET } from "./world/sql-engine";
