import type { DriverError } from "@backflip/core";
import { errAsync, okAsync, ResultAsync } from "neverthrow";
import { haproxyError } from "./haproxy-error";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Polls `read` until it reports `revision` (a reload is asynchronous: the new workers
 * answer only once they are up). An unreachable socket is retried, other errors end the
 * wait; at the deadline the result is `failed` naming what HAProxy reported last, or the
 * last error.
 */
export function waitForRevision(
  read: () => ResultAsync<string | null, DriverError>,
  revision: string,
  timeoutMs: number,
  where: string,
): ResultAsync<void, DriverError> {
  const poll = async (): Promise<DriverError | undefined> => {
    const started = Date.now();
    const deadline = started + timeoutMs;
    let last: { live: string | null } | DriverError = { live: null };
    for (;;) {
      const result = await read();
      if (result.isOk() && result.value === revision) return undefined;
      last = result.isOk() ? { live: result.value } : result.error;
      // Only a socket that is briefly gone (the workers are being replaced) is worth waiting for.
      if (result.isErr() && result.error.reason !== "unavailable" && result.error.reason !== "timeout") break;
      const now = Date.now();
      if (now >= deadline) break;
      // Every 5 ms for the first second (a reload takes tens of ms), then every 50 ms.
      await sleep(Math.min(now - started < 1000 ? 5 : 50, deadline - now));
    }
    if ("_tag" in last) {
      return {
        ...last,
        op: "confirm",
        message: `could not confirm revision ${revision}: ${last.message}`,
      };
    }
    return haproxyError(
      "confirm",
      "failed",
      `${where} still reports revision ${last.live ?? "(none)"} after ${timeoutMs} ms, not ${revision}`,
      {
        hint: "the new config did not take: check the master's log (`show proc` on the master CLI counts failed reloads); undo restores the previous config",
        details: { expected: revision, live: last.live },
      },
    );
  };
  return ResultAsync.fromSafePromise(poll()).andThen((error) =>
    error === undefined ? okAsync(undefined) : errAsync(error),
  );
}

/**
 * Calls `read` again while it fails `unavailable` (a socket briefly gone during a
 * reload), every 10 ms for up to `graceMs`; any other outcome is returned as it is.
 */
export function retryUnavailable<T>(
  read: () => ResultAsync<T, DriverError>,
  graceMs: number,
): ResultAsync<T, DriverError> {
  const deadline = Date.now() + graceMs;
  const attempt = (): ResultAsync<T, DriverError> =>
    read().orElse((e) =>
      e.reason === "unavailable" && Date.now() < deadline
        ? ResultAsync.fromSafePromise(sleep(10)).andThen(attempt)
        : errAsync(e),
    );
  return attempt();
}
