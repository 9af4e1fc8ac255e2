import type { ResultAsync } from "neverthrow";
import type { DriverError } from "../errors/driver-error";
import type { Action } from "../plan/action";
import type { Fence } from "./lease-lock";

/** One line of `active-color.history`: which color went live, when, for which SHA, by which run. */
export interface HistoryEntry {
  /** ISO-8601 time of the switch. */
  readonly at: string;
  /** The color that went live. */
  readonly color: string;
  /** The release SHA now live, when known. */
  readonly sha?: string;
  /** The run that made the switch, when made by Backflip. */
  readonly runId?: string;
  /** Who made the switch. */
  readonly actor?: string;
}

/** The active color and its history, newest first (the runbook's `head -2 …history`). */
export interface TrafficState {
  readonly activeColor: string;
  readonly history: readonly HistoryEntry[];
}

/** What to switch to. */
export interface SwitchRequest {
  /** The color to send traffic to. */
  readonly color: string;
  /** The release SHA of that color, when known. */
  readonly sha?: string;
  /** The run making the switch; stamped into the config revision and the history. */
  readonly runId: string;
  /** Who asked for the switch. */
  readonly actor: string;
}

/** A rendered configuration, ready to validate and install. */
export interface RenderedConfig {
  /** The revision stamped into it, which {@link TrafficSwitch.liveRevision} reports once loaded. */
  readonly revision: string;
  /** The color it routes to. */
  readonly color: string;
  /** The file content: the whole live file the switch replaces (a proxy config, an include file or a map). */
  readonly content: string;
}

/** An operation of a {@link TrafficSwitch} a dry run describes (one per switch step, and the undo's restore). */
export type TrafficOperation = "readState" | "validate" | "activate" | "record" | "restore";

/**
 * Moves traffic between colors: Path 1 of the runbook. The flip is a sequence of
 * these calls, each a step: readState → render → validate → install → reload → confirm → record.
 *
 * Fencing: every call that changes live routing or the recorded state (`install`,
 * `reload`, `record`, `restorePrevious`, `writeState`) takes the run's lease as an optional
 * last `fence`. The switch keeps, with its state, the newest token of each lease key that
 * changed it, and refuses a write whose token is older with reason `conflict` and
 * `details: { fenced: true, key, token, current }` — a run whose lease was broken cannot
 * flip traffic back under the run that broke it. An equal or newer token is accepted and
 * recorded; without a fence a write is not checked. Reads never take one.
 */
export interface TrafficSwitch {
  /** The driver's name for messages, e.g. `haproxy`. */
  readonly name: string;
  /** The colors this switch can route to. */
  readonly colors: readonly string[];
  /** Reads the active color and the history (newest first). */
  readState(): ResultAsync<TrafficState, DriverError>;
  /** Renders the configuration for a switch; a missing template variable is an error. */
  render(request: SwitchRequest): ResultAsync<RenderedConfig, DriverError>;
  /** Validates a rendered config where it will run (e.g. `haproxy -c`, `nginx -t`), the live file untouched; the backend's message is kept. */
  validate(config: RenderedConfig): ResultAsync<void, DriverError>;
  /** Installs a validated config atomically, keeping the previous one for {@link restorePrevious}. */
  install(
    config: RenderedConfig,
    fence?: Fence,
  ): ResultAsync<{ previousRevision: string | null }, DriverError>;
  /** Makes the running proxy use the installed config (reload, or a runtime map update). */
  reload(fence?: Fence): ResultAsync<void, DriverError>;
  /** The revision of the config installed on disk (what the next reload loads); `null` when none or unstamped. */
  installedRevision(): ResultAsync<string | null, DriverError>;
  /** The revision the running proxy has loaded, asked of the proxy itself; `null` when unstamped. */
  liveRevision(): ResultAsync<string | null, DriverError>;
  /** Succeeds when the running proxy has loaded `revision`; `failed` otherwise. */
  confirm(revision: string): ResultAsync<void, DriverError>;
  /** Writes the active color atomically and prepends a history line (bounded length). */
  record(request: SwitchRequest, fence?: Fence): ResultAsync<TrafficState, DriverError>;
  /** Puts back the config that {@link install} replaced (not reloaded: call {@link reload} next). */
  restorePrevious(fence?: Fence): ResultAsync<{ revision: string | null }, DriverError>;
  /** Overwrites the state file and history exactly (the undo of {@link record}). */
  writeState(state: TrafficState, fence?: Fence): ResultAsync<void, DriverError>;
  /** The dry run of one operation for a switch to `request.color`: the commands and files it would touch, where. */
  describe(
    operation: TrafficOperation,
    request: { readonly color: string; readonly sha?: string },
  ): readonly Action[];
}
