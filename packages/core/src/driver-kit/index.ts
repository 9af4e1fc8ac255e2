/**
 * Backflip's driver kit: what a driver author needs and a user of the SDK does not —
 * file access through any Shell, the traffic state files, a driver's error builder,
 * shared input schemas, a `poll` helper, and {@link createTrafficSwitch}, which builds a
 * whole TrafficSwitch from a small proxy-specific {@link TrafficBackend}.
 * @module
 */

export type { TrafficSwitchOptions } from "./create-traffic-switch";
export { createTrafficSwitch } from "./create-traffic-switch";
export type { DriverErrorBuilder, DriverErrorExtra } from "./driver-error-for";
export { driverErrorFor } from "./driver-error-for";
export {
  absolutePathSchema,
  actorSchema,
  colorIn,
  runIdSchema,
  shaSchema,
  shortShaSchema,
} from "./kit-schemas";
export type { Backoff, PollFailure, PollOptions } from "./poll";
export { DEFAULT_BACKOFF, poll } from "./poll";
export type { RemoteFilesOptions } from "./remote-files";
export { baseOf, commandFailure, dirOf, locationOf, RemoteFiles } from "./remote-files";
export { formatRevision } from "./revision";
export type { StateFileSource } from "./state-files";
export { formatHistory, formatHistoryLine, parseActiveColor, parseHistory } from "./state-files";
export { historyEntrySchema, switchRequestSchema, trafficStateSchema } from "./switch-input";
export type { TrafficBackend, TrafficBackendOperation } from "./traffic-backend";
export type { TrafficStateFiles, TrafficStateStore } from "./traffic-state-store";
export { trafficStateStore } from "./traffic-state-store";
