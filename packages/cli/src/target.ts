import { type DriverError, driverError, type Journal, type LeaseLock, type Topology } from "@backflip/core";
import type { Drivers } from "@backflip/core/recipes";
import { ResultAsync } from "neverthrow";
import type { Coordination } from "./coordination";
import { openSimulatedTarget } from "./simulated-target";

/** Where a command acts: the simulated fleet, or the lab. */
export type TargetKind = "simulated" | "lab";

/** What every command needs from where it acts. */
export interface Target {
  readonly kind: TargetKind;
  /** One line for a person: what this target is and where its state lives. */
  readonly description: string;
  readonly topology: Topology;
  readonly drivers: Drivers;
  /** The durable journal of the coordination store. */
  readonly journal: Journal;
  /** The per-environment lease lock of the coordination store. */
  readonly lock: LeaseLock;
  /** The coordination store the journal and the lock come from. */
  readonly coordination: Coordination;
  /** Saves what must outlive this process (the simulated world, once this process ran something); nothing for a real target. */
  save(): ResultAsync<void, DriverError>;
  /** Lets go of connections (a real target's sockets) once the command is done. */
  close(): Promise<void>;
}

/** How to open a target. */
export interface TargetOptions {
  readonly kind: TargetKind;
  /** The environment (default: `staging` on the simulated fleet, `lab` on the lab). */
  readonly env?: string | undefined;
  /** The state directory (the file store's journal and locks, and for the simulated target `fleet.json`). */
  readonly stateDir: string;
  /** Where the lease and the journal live (opened by the caller, who closes it). */
  readonly coordination: Coordination;
}

/**
 * Opens the target a command acts on. Opening reads and never writes: the simulated
 * world is saved only once something ran on it.
 */
export function openTarget(options: TargetOptions): ResultAsync<Target, DriverError> {
  if (options.kind === "simulated")
    return openSimulatedTarget(options.env ?? "staging", options.stateDir, options.coordination);
  // loaded on demand: the lab's drivers (Incus, HAProxy, registry) are not needed otherwise
  return ResultAsync.fromPromise(import("./lab-target"), (cause) =>
    driverError({
      driver: "rollback-cli",
      op: "target",
      reason: "unavailable",
      message: `cannot load the lab target: ${(cause as Error).message}`,
      hint: "check the lab/ workspace package is installed (pnpm install)",
      cause,
    }),
  ).andThen((lab) => lab.openLabTarget(options.env ?? "lab", options.coordination));
}
