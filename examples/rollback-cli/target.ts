import { join, resolve } from "node:path";
import {
  type DriverError,
  driverError,
  FileJournal,
  FileLeaseLock,
  type Journal,
  type LeaseLock,
  type Topology,
} from "@backflip/core";
import type { Drivers } from "@backflip/core/recipes";
import { ResultAsync } from "neverthrow";
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
  /** The durable journal under `<state-dir>/journal`. */
  readonly journal: Journal;
  /** The per-environment lease lock under `<state-dir>/locks`. */
  readonly lock: LeaseLock;
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
  /** The state directory (journal, locks, and for the simulated target `fleet.json`). */
  readonly stateDir: string;
}

/** The journal and lock every target keeps under the state directory. */
export function stateStores(stateDir: string): { journal: FileJournal; lock: FileLeaseLock } {
  const dir = resolve(stateDir);
  return {
    journal: new FileJournal({ dir: join(dir, "journal") }),
    lock: new FileLeaseLock({ dir: join(dir, "locks") }),
  };
}

/**
 * Opens the target a command acts on. Opening reads and never writes: the simulated
 * world is saved only once something ran on it.
 */
export function openTarget(options: TargetOptions): ResultAsync<Target, DriverError> {
  if (options.kind === "simulated") return openSimulatedTarget(options.env ?? "staging", options.stateDir);
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
  ).andThen((lab) => lab.openLabTarget(options.env ?? "lab", options.stateDir));
}
