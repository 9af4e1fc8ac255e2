import type { ResultAsync } from "neverthrow";
import type { DriverError } from "../errors/driver-error";
import type { TrafficState, TrafficSwitch } from "../ports/traffic-switch";

/**
 * `sw` whose `readState()` calls made while one is in flight share that one read: checks
 * run together (a plan's pre-check group) that each want the state as it is now ask the
 * switch once, not once each. Nothing is kept once the read is done: a later call reads
 * again. Every other member is `sw`'s own.
 */
export function sharedStateReads(sw: TrafficSwitch): TrafficSwitch {
  let pending: ResultAsync<TrafficState, DriverError> | undefined;
  const readState = () => {
    if (pending) return pending;
    const read = sw.readState();
    pending = read;
    const settled = () => {
      if (pending === read) pending = undefined;
    };
    void read.then(settled, settled);
    return read;
  };
  return new Proxy(sw, {
    get(target, key) {
      if (key === "readState") return readState;
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}
