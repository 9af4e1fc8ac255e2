import { poll } from "@backflip/core/driver-kit";
import { ResultAsync } from "neverthrow";

/**
 * Asks `ready` every `everyMs` until it answers true; after `reads` answers that were not,
 * throws `Error(message)`: a bench's "wait until the thing it started is up".
 */
export async function waitUntil(
  ready: () => Promise<boolean>,
  options: { readonly reads: number; readonly everyMs: number; readonly message: string },
): Promise<void> {
  const waited = await poll({
    read: () => ResultAsync.fromSafePromise(ready()),
    done: (up) => up,
    // Only the number of reads bounds this wait.
    timeoutMs: Number.POSITIVE_INFINITY,
    maxAttempts: options.reads,
    backoff: () => options.everyMs,
  });
  if (waited.isErr()) throw new Error(options.message);
}
