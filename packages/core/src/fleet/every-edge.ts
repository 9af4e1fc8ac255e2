import { err, errAsync, ok, okAsync, type Result, ResultAsync } from "neverthrow";
import type { DriverError } from "../errors/driver-error";
import type { StepError } from "../errors/step-error";
import type { StepContext } from "../plan/step";
import type { FleetEdge } from "./fleet-steps";

/** One edge's result of a call made on every edge at once. */
export interface EdgeResult<T, E> {
  readonly edge: FleetEdge;
  readonly result: Result<T, E>;
}

/**
 * Runs `call` on every edge at once and waits for all of them: one edge failing never
 * cuts another's call short (a commit must know what every edge did).
 */
export function onEveryEdge<T, E>(
  edges: readonly FleetEdge[],
  call: (edge: FleetEdge) => ResultAsync<T, E>,
): ResultAsync<EdgeResult<T, E>[], never> {
  return ResultAsync.fromSafePromise(
    Promise.all(edges.map(async (edge) => ({ edge, result: await call(edge) }))),
  );
}

/**
 * Every edge's value by edge name when every call succeeded; otherwise the first failure,
 * its message naming every edge that failed.
 */
export function byEdge<T>(
  results: readonly EdgeResult<T, StepError>[],
): Result<Record<string, T>, StepError> {
  const values: Record<string, T> = {};
  const failures: StepError[] = [];
  for (const { edge, result } of results)
    result.match(
      (value) => {
        values[edge.name] = value;
      },
      (e) => {
        failures.push(e);
      },
    );
  const [first] = failures;
  if (first === undefined) return ok(values);
  return err(
    failures.length === 1 ? first : { ...first, message: failures.map((f) => f.message).join("; ") },
  );
}

/**
 * Puts the config `install` replaced back on one edge and makes it live again (restore,
 * reload, confirm the restored revision). Callers start it only once the edge's own
 * forward reload has been confirmed or given up on: a second reload sent while the proxy
 * still re-executes from the first can be lost (HAProxy's master drops a USR2 then), and
 * its old worker would then confirm the put-back while the new config takes over.
 */
function putBack({ sw }: FleetEdge, ctx: StepContext): ResultAsync<void, DriverError> {
  return sw
    .restorePrevious(ctx.fence)
    .andThen(({ revision }) =>
      sw.reload(ctx.fence).andThen(() => (revision === null ? okAsync(undefined) : sw.confirm(revision))),
    );
}

/** Puts back every edge in `names`, in parallel; fails naming each one that could not be. */
export function putBackAll(
  edges: readonly FleetEdge[],
  names: readonly string[],
  ctx: StepContext,
): ResultAsync<void, string> {
  return onEveryEdge(
    edges.filter((e) => names.includes(e.name)),
    (edge) => {
      ctx.log(`putting edge ${edge.name} back on its previous config`);
      return putBack(edge, ctx);
    },
  ).andThen((results) => {
    const failed = results.flatMap(({ edge, result }) =>
      result.isErr() ? [`${edge.name}: ${result.error.message}`] : [],
    );
    return failed.length === 0 ? okAsync(undefined) : errAsync(failed.join("; "));
  });
}
