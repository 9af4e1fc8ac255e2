import { type DriverError, driverError } from "../errors/driver-error";
import type { Fence } from "../ports/lease-lock";

/**
 * A lease store that can say, synchronously, which lease is current on a key:
 * `FileLeaseLock` and `MemoryLeaseLock`. A local journal built with `fencedBy` asks it
 * before every fenced append.
 */
export interface FenceAuthority {
  /** The lock's token space (its `LeaseLock.issuer`); a fence from another issuer is refused. */
  readonly issuer?: string;
  /** The token of the lease now on `key`, or `undefined` when none is held. May throw on I/O errors. */
  currentToken(key: string): number | undefined;
}

/**
 * The `conflict` (`details.fenced: true`) for an append made under `fence` when
 * `authority` says another lease (or none) is current on its key, or when the fence was
 * issued by another lock (its tokens are not comparable); `undefined` when the fence is
 * current, or when there is no fence or no authority to check it against.
 */
export function fenceRefusal(
  driver: string,
  runId: string,
  authority: FenceAuthority | undefined,
  fence: Fence | undefined,
): DriverError | undefined {
  if (!authority || !fence) return undefined;
  if (fence.issuer !== undefined && authority.issuer !== undefined && fence.issuer !== authority.issuer) {
    return driverError({
      driver,
      op: "append",
      reason: "conflict",
      message: `run ${runId}: the lease on ${fence.key} was issued by ${fence.issuer}, but this journal is fenced by ${authority.issuer}: the append is refused`,
      hint: "run with the lock the journal is fenced by (same lock directory or store)",
      details: { fenced: true, key: fence.key, token: fence.token, issuer: fence.issuer },
    });
  }
  const current = authority.currentToken(fence.key);
  if (current === fence.token) return undefined;
  return driverError({
    driver,
    op: "append",
    reason: "conflict",
    message:
      current === undefined
        ? `run ${runId}: lease ${fence.token} on ${fence.key} is no longer held: the append is refused`
        : `run ${runId}: lease ${fence.token} on ${fence.key} was superseded by lease ${current}: the append is refused`,
    hint: "stop: another run may own this environment now; inspect its lease before resuming",
    details: {
      fenced: true,
      key: fence.key,
      token: fence.token,
      ...(current === undefined ? {} : { current }),
    },
  });
}
