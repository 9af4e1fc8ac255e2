/**
 * Backflip's driver kit: what a driver author needs and a user of the SDK does not —
 * file access through any Shell, the traffic state files and their fence record, a driver's error builder,
 * shared input schemas, the lease kit every LeaseLock shares (key/lease/acquire validation,
 * `newLease`, `isStale` and the `held`/`lost`/`not locked` errors), a `poll` helper, and {@link createTrafficSwitch}, which builds a
 * whole TrafficSwitch from a small proxy-specific {@link TrafficBackend}. It also carries
 * what core's main entry keeps to itself but drivers share: input validation
 * (`parseInput`, `invalidInput`, the name schemas, `lazySchema` for a module's own) and the plumbing of a Shell
 * implementation (`parseShellRun`, `startShellRun`, `CappedOutput`, `stoppedRunError`,
 * `runChecked`, `quoteArgv`).
 * @module \@backflip/core/driver-kit
 */

export { invalidInput } from "../errors/invalid-input";
export { type LeaseBreak, parseLeaseBreak } from "../lock/lease-break";
export {
  heldError,
  isStale,
  leaseSchema,
  lockKeySchema,
  lostError,
  newLease,
  notLockedError,
  parseAcquire,
  parseLease,
  parseLockKey,
  parseRenew,
} from "../lock/lease-input";
export { locationOf } from "../plan/location-of";
export { probeRequestSchema } from "../probe/probe-request-schema";
export { CappedOutput } from "../shell/capped-output";
export { LocalShellFiles } from "../shell/local-shell-files";
export type { ShellRun } from "../shell/parse-shell-run";
export { parseShellRun, startShellRun, stdinBytes } from "../shell/parse-shell-run";
export { quoteArgv, quoteForShell } from "../shell/quote-for-shell";
export type { RunCheckedOptions } from "../shell/run-checked";
export { runChecked } from "../shell/run-checked";
export type { StoppedRun } from "../shell/stopped-run-error";
export { stoppedRunError } from "../shell/stopped-run-error";
export { abortSignalSchema } from "../validate/abort-signal-schema";
export { lazySchema } from "../validate/lazy-schema";
export { parseInput } from "../validate/parse-input";
export {
  actorNameSchema,
  commandNameSchema,
  datasetNameSchema,
  envNameSchema,
  fileNameSchema,
  freeTextSchema,
  gitRefSchema,
  hasUnsafeChars,
  httpUrlSchema,
  instanceNameSchema,
  localPathSchema,
  simpleNameSchema,
  snapshotNameSchema,
  UNSAFE_CHARS,
} from "../validate/schemas";
export { timerMsSchema } from "../validate/timer-ms-schema";
export type { TrafficSwitchOptions } from "./create-traffic-switch";
export { createTrafficSwitch } from "./create-traffic-switch";
export type { DriverErrorBuilder, DriverErrorExtra } from "./driver-error-for";
export { driverErrorFor } from "./driver-error-for";
export type { FenceEntry, FenceRecord } from "./fence-record";
export {
  admitFence,
  FENCE_RECORD_LIMIT,
  fenceFileOf,
  formatFenceRecord,
  parseFenceRecord,
} from "./fence-record";
export {
  absolutePathSchema,
  actorSchema,
  colorIn,
  runIdSchema,
  shaSchema,
  shortShaSchema,
} from "./kit-schemas";
export type { Backoff, PollAttempt, PollFailure, PollOptions } from "./poll";
export { DEFAULT_BACKOFF, poll } from "./poll";
export type { RemoteFilesOptions } from "./remote-files";
export { baseOf, commandFailure, dirOf, RemoteFiles } from "./remote-files";
export { formatRevision } from "./revision";
export type { StateFileSource } from "./state-files";
export { formatHistory, formatHistoryLine, parseActiveColor, parseHistory } from "./state-files";
export { fenceSchema, historyEntrySchema, switchRequestSchema, trafficStateSchema } from "./switch-input";
export type { TrafficBackend, TrafficBackendOperation } from "./traffic-backend";
export type { TrafficStateFiles, TrafficStateStore } from "./traffic-state-store";
export { trafficStateStore } from "./traffic-state-store";
