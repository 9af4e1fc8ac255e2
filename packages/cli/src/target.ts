import { type DriverError, driverError, type Journal, type LeaseLock, type Topology } from "@backflip/core";
import type { Drivers } from "@backflip/core/recipes";
import { errAsync, ResultAsync } from "neverthrow";
import type { Coordination } from "./coordination";

/** Where a command acts: `simulated` (built in), or a kind an embedding CLI adds. */
export type TargetKind = string;

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
  /** The environment (default: `staging` on the simulated fleet, the target's own otherwise). */
  readonly env?: string | undefined;
  /** The state directory (the file store's journal and locks, and for the simulated target `fleet.json`). */
  readonly stateDir: string;
  /** Where the lease and the journal live (opened by the caller, who closes it). */
  readonly coordination: Coordination;
}

/** Opens a target of one kind (loading what it needs on demand). */
export type TargetOpener = (options: TargetOptions) => ResultAsync<Target, DriverError>;

/** Target kinds an embedding CLI adds, by `--target` name. */
export type TargetOpeners = Readonly<Record<string, TargetOpener>>;

/**
 * Opens the target a command acts on: `simulated`, or one of `extra`. Opening reads and
 * never writes: the simulated world is saved only once something ran on it. An unknown
 * kind is `invalid_input` naming `--target` and the kinds there are.
 */
export function openTarget(
  options: TargetOptions,
  extra: TargetOpeners = {},
): ResultAsync<Target, DriverError> {
  if (options.kind === "simulated")
    // loaded on demand: a command that opens no target (help, runs) never loads the simulated fleet
    return ResultAsync.fromSafePromise(import("./simulated-target")).andThen((simulated) =>
      simulated.openSimulatedTarget(options.env ?? "staging", options.stateDir, options.coordination),
    );
  const opener = Object.hasOwn(extra, options.kind) ? extra[options.kind] : undefined;
  if (opener) return opener(options);
  return errAsync(
    driverError({
      driver: "cli",
      op: "target",
      reason: "invalid_input",
      message: `--target: no target "${options.kind}"`,
      hint: `one of: ${["simulated", ...Object.keys(extra)].join(", ")}`,
    }),
  );
}
