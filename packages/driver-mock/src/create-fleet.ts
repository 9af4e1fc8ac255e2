import {
  type AlertSource,
  type ArtifactRegistry,
  type ContainerHost,
  type Database,
  type DriverError,
  type FullTopology,
  formatDriverError,
  type HealthProbe,
  type Journal,
  type LeaseLock,
  type Pipeline,
  parseTopology,
  type Shell,
  type SnapshotStore,
  type Topology,
  type TrafficSwitch,
} from "@backflip/core";
import {
  absolutePathSchema,
  instanceNameSchema,
  invalidInput,
  lazySchema,
  parseInput,
} from "@backflip/core/driver-kit";
import { type Drivers, vezaTopology } from "@backflip/core/recipes";
import { err, ok, type Result } from "neverthrow";
import * as z from "zod";
import { assembleFleet } from "./assemble-fleet";
import type { FleetRuntime } from "./drivers/operation";
import { type FaultInjector, FaultTable } from "./fault-injector";
import { type ClockMode, type FleetClock, ManualClock } from "./fleet-clock";
import { type FleetProxy, fleetLayout } from "./fleet-layout";
import { defaultScenario, type FleetScenario, parseScenario } from "./fleet-scenario";
import type { FleetWorld } from "./fleet-world";
import { seedWorld } from "./world/seed-world";
import { WorldState } from "./world/world-state";

/** The default start of the fleet clock. */
export const FLEET_EPOCH = "2026-01-01T00:00:00.000Z";

/** How to build a simulated fleet. */
export interface FleetOptions<T extends Topology = FullTopology> {
  /** Where everything lives (default `vezaTopology("staging")`). */
  readonly topology?: T;
  /** The simulated proxy's container and config file (default `vezaHaproxy(topology.env)`). */
  readonly proxy?: FleetProxy;
  /** The starting state (default {@link defaultScenario}: both colors up, the second active). */
  readonly scenario?: FleetScenario;
  /** The start of the deterministic clock (default 2026-01-01T00:00:00Z). */
  readonly now?: Date;
  /** Real milliseconds a pipeline `follow` waits between polls at most (default 10); the clock moves by the full poll. */
  readonly realPollCapMs?: number;
  /** `manual` (default): time moves only when advanced; `realtime`: it also follows the system clock. */
  readonly clock?: ClockMode;
  /** Answers health URLs outside the fleet (default: none, they are refused as unresolvable). */
  readonly probeFallback?: HealthProbe;
}

/** Every driver of the fleet: the {@link Drivers} bundle with nothing optional left out. */
export interface FleetDrivers extends Drivers {
  readonly host: ContainerHost;
  readonly traffic: TrafficSwitch;
  readonly probe: HealthProbe;
  readonly registry: ArtifactRegistry;
  readonly pipeline: Pipeline;
  readonly database: Database;
  readonly snapshots: SnapshotStore;
  readonly hostShell: Shell;
  readonly alerts: AlertSource;
}

/** A simulated fleet: one world behind every driver, with faults, a clock, a journal and a lock. */
export interface Fleet<T extends Topology = Topology> {
  /** The topology the fleet was built from. */
  readonly topology: T;
  /** Every port, all backed by the one world. */
  readonly drivers: FleetDrivers;
  /** Views and mutators of the world, for tests. */
  readonly world: FleetWorld;
  /** Makes operations fail or slow down. */
  readonly faults: FaultInjector;
  /** The deterministic clock every driver, the journal and the lock use. */
  readonly clock: FleetClock;
  /** An in-memory journal. */
  readonly journal: Journal;
  /** An in-memory lease lock on the fleet clock. */
  readonly lock: LeaseLock;
  /**
   * A journal over the same store as {@link journal} that fails every append (`aborted`,
   * like a killed process) once `afterRecords` records were appended through it — for
   * crash and resume tests.
   */
  crashingJournal(afterRecords: number): Journal;
  /** The topology's public health URL, which the fleet's probe answers from the world. */
  readonly publicHealthUrl: string;
  /** The health URL of one container: `http://<container>.fleet<healthPath>`. */
  containerHealthUrl(container: string): string;
}

/** The simulated proxy's place: an Incus container name and a normalised absolute path. */
const proxySchema = lazySchema(() =>
  z.object({ container: instanceNameSchema, configPath: absolutePathSchema }).strict(),
);

/** Builds a fleet, or `invalid_input` naming what is wrong with the options. */
export function tryCreateFleet<T extends Topology = FullTopology>(
  options: FleetOptions<T> = {},
): Result<Fleet<T>, DriverError> {
  const topology = parseTopology(options.topology ?? vezaTopology("staging"));
  if (topology.isErr()) return err(topology.error);
  const scenario = parseScenario(topology.value, options.scenario ?? defaultScenario(topology.value));
  if (scenario.isErr()) return err(scenario.error);
  const now = options.now ?? new Date(FLEET_EPOCH);
  if (!(now instanceof Date) || Number.isNaN(now.getTime()))
    return err(invalidInput("mock-fleet", "createFleet", "now: expected a valid Date"));
  const cap = options.realPollCapMs ?? 10;
  if (!Number.isFinite(cap) || cap < 0)
    return err(invalidInput("mock-fleet", "createFleet", "realPollCapMs: expected a number ≥ 0"));

  if (options.clock !== undefined && options.clock !== "manual" && options.clock !== "realtime")
    return err(invalidInput("mock-fleet", "createFleet", "clock: expected manual or realtime"));
  const clock = new ManualClock(now, options.clock);
  const runtime: FleetRuntime = { clock, faults: new FaultTable() };
  const proxy = parseInput(proxySchema.optional(), options.proxy, {
    driver: "mock-fleet",
    op: "createFleet",
  });
  if (proxy.isErr()) return err(proxy.error);
  const layout = fleetLayout(topology.value, proxy.value);
  const world = new WorldState(
    topology.value,
    clock,
    scenario.value.retention ?? layout.registry.retention,
    layout.proxy,
  );
  seedWorld(world, scenario.value);

  const fleet = assembleFleet(topology.value, world, runtime, {
    realPollCapMs: cap,
    probeFallback: options.probeFallback,
  });
  // the topology parsed is the one given (a strict schema keeps every field), so it is still a T
  return ok(fleet as Fleet<T>);
}

/**
 * Builds a simulated fleet. The options are the test's own setup, so a malformed one
 * (a color outside the topology, a short SHA) is a programming error: this throws a
 * `TypeError` naming the field. Use {@link tryCreateFleet} to get it as a value.
 */
export function createFleet<T extends Topology = FullTopology>(options: FleetOptions<T> = {}): Fleet<T> {
  const fleet = tryCreateFleet(options);
  if (fleet.isErr()) throw new TypeError(formatDriverError(fleet.error));
  return fleet.value;
}
