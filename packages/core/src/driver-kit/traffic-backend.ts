import type { Result, ResultAsync } from "neverthrow";
import type { DriverError } from "../errors/driver-error";
import type { Action, ExecLocation } from "../plan/action";
import type { SwitchRequest } from "../ports/traffic-switch";

/** An operation of a {@link TrafficBackend} a dry run describes. */
export type TrafficBackendOperation = "check" | "activate" | "confirm";

/**
 * What differs per proxy in a {@link @backflip/core!TrafficSwitch}: the driver supplies this, and
 * {@link createTrafficSwitch} owns the rest (input checks, staging and reusing the
 * validated candidate, install with `.prev`, the state files, confirm polling, restore).
 */
export interface TrafficBackend {
  /** The proxy's name for messages and errors, e.g. `nginx`. */
  readonly name: string;
  /** The file a flip replaces (an include file, haproxy.cfg, or a map file). */
  readonly livePath: string;
  /** Where its commands run, for dry runs (from the Shell; see {@link ExecLocation}). */
  readonly location: ExecLocation;
  /** Renders the live file for a request, stamping `revision` so liveRevision can report it. */
  render(request: SwitchRequest, revision: string): Result<string, DriverError>;
  /** The revision a live or kept file stamps (`null` when unstamped or unreadable). */
  revisionOf(content: string): string | null;
  /** Checks a candidate written at `path` (beside livePath) without touching the live file. */
  check(path: string, content: string): ResultAsync<void, DriverError>;
  /**
   * True when `check` reads only `content`, not the file at `path` (e.g. it asks the
   * running proxy): core then writes the candidate while it checks. Default false.
   */
  readonly checksContentOnly?: boolean;
  /** Makes the installed live file take effect (reload, or push a runtime map). */
  activate(): ResultAsync<void, DriverError>;
  /**
   * `activate` in two halves, when its first half changes nothing the proxy serves (reads
   * the live file, prepares a runtime-map version): that half runs while a fenced reload's
   * fence is admitted, and answers the second half, run only once the fence is admitted.
   * Optional: without it, `activate` runs after the admission.
   */
  prepareActivate?(): ResultAsync<() => ResultAsync<void, DriverError>, DriverError>;
  /** The revision the running proxy serves, asked of the proxy itself. */
  liveRevision(): ResultAsync<string | null, DriverError>;
  /** Dry-run actions of one backend operation; `path` is the candidate or live file. */
  describe(operation: TrafficBackendOperation, path: string): readonly Action[];
  /** How a file stamps its revision, the hint when a rendered file does not (e.g. `put set-var proc.cfg_rev … in global`). */
  readonly stampHint?: string;
  /** The next move when confirm times out (e.g. where the proxy logs a rejected reload). */
  readonly confirmHint?: string;
  /**
   * How long confirm keeps asking once the proxy first reports the revision, every answer
   * required to be it (default 0): for a proxy whose old workers still answer for a while
   * after a reload (nginx's master waits 100 ms before it stops them accepting).
   */
  readonly settleMs?: number;
}
