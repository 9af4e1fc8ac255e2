import { setTimeout as sleep } from "node:timers/promises";
import { type DriverError, driverError, type PipelineRun } from "@backflip/core";
import { err, ok, type Result } from "neverthrow";
import type { ActionRunEntry } from "./action-run";
import { DRIVER } from "./forgejo-http";
import { DISPATCH_EVENT, type RunSource } from "./run-source";

/** What identifies the run a dispatch started: the runs listed before it, and when it was sent. */
export interface DispatchLookup {
  readonly runs: RunSource;
  readonly workflow: string;
  readonly ref: string;
  /** Run ids listed before the dispatch. */
  readonly known: ReadonlySet<number>;
  /** When the dispatch was sent (ms since the epoch, this host's clock). */
  readonly started: number;
  /** Clock difference tolerated between this host and the server (ms). */
  readonly clockSkewMs: number;
  /** `owner/repo`. */
  readonly repo: string;
  /** The repository's Actions page, for the hints. */
  readonly actionsPage: string;
  /** True when runs are listed only once a runner picked them up (the tasks list). */
  readonly listedOnPickup: boolean;
}

const lag = (l: DispatchLookup) =>
  l.listedOnPickup ? " (this server lists a run only once a runner picks it up)" : "";

/** The oldest listed run of the workflow that was not there before and is not older than the dispatch. */
export function newRun(listed: readonly ActionRunEntry[], l: DispatchLookup): ActionRunEntry | undefined {
  const since = l.started - l.clockSkewMs;
  return listed
    .filter((r) => !l.known.has(r.run.id))
    .filter((r) => r.workflow === undefined || r.workflow === l.workflow)
    .filter((r) => r.event === undefined || r.event === DISPATCH_EVENT)
    .filter((r) => r.createdMs === undefined || r.createdMs >= since)
    .sort((a, b) => a.run.id - b.run.id)[0];
}

/** After a 204: polls the list for the new run; `timeout` (do not dispatch blindly) when none shows. */
export async function findDispatchedRun(
  l: DispatchLookup,
  timeoutMs: number,
  pollMs: number,
): Promise<Result<PipelineRun, DriverError>> {
  const lookupEnds = Date.now() + timeoutMs;
  for (;;) {
    const listed = await l.runs.recent("dispatch", l.workflow);
    if (listed.isErr())
      return err({
        ...listed.error,
        hint: `the workflow was dispatched but its run could not be looked up: find it in ${l.actionsPage}`,
      });
    const found = newRun(listed.value, l);
    if (found) return ok(found.run);
    if (Date.now() + pollMs > lookupEnds) {
      return err(
        driverError({
          driver: DRIVER,
          op: "dispatch",
          reason: "timeout",
          message: `${l.workflow} was dispatched (204) but no new run appeared within ${timeoutMs} ms${lag(l)}`,
          hint: `do not dispatch again blindly: look for the run in ${l.actionsPage}`,
        }),
      );
    }
    await sleep(pollMs);
  }
}

/**
 * A dispatch that may have reached the server failed (5xx, or a cut connection): a new
 * run in the list is the dispatch's; without one, a 500 is Forgejo's answer to an unknown
 * workflow or short ref (its message blanked), anything else a failure. Never says a run
 * started unless the list shows it.
 */
export async function afterFailedDispatch(
  l: DispatchLookup,
  error: DriverError,
): Promise<Result<PipelineRun, DriverError>> {
  const listed = await l.runs.recent("dispatch", l.workflow);
  const found = listed.isOk() ? newRun(listed.value, l) : undefined;
  if (found) return ok(found.run);
  const seen = listed.isOk()
    ? `no new run of ${l.workflow} is listed${lag(l)}`
    : `the runs could not be listed (${listed.error.message})`;
  const look = `look for a new run of ${l.workflow} in ${l.actionsPage} before dispatching again`;
  if (error.details?.status !== 500)
    return err({ ...error, message: `${error.message}; ${seen}`, hint: look });
  return err(
    driverError({
      driver: DRIVER,
      op: "dispatch",
      reason: "not_found",
      message: `${error.message}: workflow ${l.workflow} or ref ${l.ref} not found in ${l.repo}, or a server error; ${seen}`,
      hint: `check that .forgejo/workflows/${l.workflow} exists at ${l.ref} (Forgejo answers 500, not 404, to an unknown workflow or branch); if it does, Forgejo failed: read its log, then ${look}`,
      ...(error.details ? { details: error.details } : {}),
    }),
  );
}
