import { type DriverError, driverError } from "@backflip/core";
import { okAsync, type ResultAsync } from "neverthrow";
import type { IncusClient } from "./incus-client";
import { DRIVER } from "./incus-error";

/** What the member that owns an instance reports about itself (`/1.0/cluster/members/{name}`). */
interface RawMember {
  readonly status?: string;
  readonly message?: string;
}

/**
 * What incusd answers (HTTP 500) when it cannot forward a request to the member that
 * owns the instance: seen on Incus 6.0.4 right after a member died ("Missing event
 * connection with target cluster member", after ~10 s) and until its heartbeat times
 * out ("Server isn't ready yet"), before the member shows `Offline`.
 */
const FORWARD_FAILED = /missing event connection|isn't ready yet|connection refused|no route to host/i;

/**
 * Turns `error` from a request about instance `name` into an `unavailable` error naming
 * the cluster member the instance is on, when that member is down: its status is not
 * `Online`, or incusd could not forward the request to it. Otherwise (not a cluster, a
 * client error, a member that answered) `error` is returned unchanged. Costs two
 * requests, only on failure: the instance's `location` from the list (which answers for
 * instances on a down member) and that member's status.
 */
export function memberUnavailable(
  client: IncusClient,
  op: string,
  name: string,
  error: DriverError,
): ResultAsync<DriverError, never> {
  const status = error.details?.status;
  if (typeof status === "number" && status < 500) return okAsync(error);
  return client
    .sync<{ location?: string }[]>(op, {
      method: "GET",
      path: "/1.0/instances",
      query: { recursion: "1", filter: `name eq ${name}` },
    })
    .andThen(({ metadata }) => {
      const location = metadata?.find((i) => i !== undefined)?.location;
      if (location === undefined || location === "" || location === "none") return okAsync(error);
      return client
        .sync<RawMember>(op, { method: "GET", path: `/1.0/cluster/members/${encodeURIComponent(location)}` })
        .map(({ metadata: member }): DriverError => {
          const down = member?.status !== "Online";
          if (!down && !FORWARD_FAILED.test(String(error.details?.incusError ?? error.message))) return error;
          return offline(op, name, location, member, error);
        })
        .orElse(() => okAsync(offline(op, name, location, undefined, error)));
    })
    .orElse(() => okAsync(error));
}

function offline(
  op: string,
  name: string,
  member: string,
  raw: RawMember | undefined,
  error: DriverError,
): DriverError {
  const said =
    raw?.status === undefined
      ? "did not answer"
      : `is ${raw.status}${raw.message ? ` (${raw.message})` : ""}`;
  return driverError({
    driver: DRIVER,
    op,
    reason: "unavailable",
    message: `instance ${name} is on cluster member ${member}, which ${raw?.status === "Online" ? "did not answer" : said}`,
    hint: `bring cluster member ${member} back (\`incus cluster list\` shows its status): its instances answer again once it is ONLINE`,
    details: {
      instance: name,
      member,
      ...(raw?.status === undefined ? {} : { memberStatus: raw.status }),
      ...(error.details ?? {}),
    },
    cause: error,
  });
}
