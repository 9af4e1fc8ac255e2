import type { DriverError } from "@backflip/core";
import { okAsync, type ResultAsync } from "neverthrow";

/** Runs `fn` on each item one after the other, stopping at the first error; the results in order. */
export function inOrder<T, U>(
  items: readonly T[],
  fn: (item: T) => ResultAsync<U, DriverError>,
): ResultAsync<U[], DriverError> {
  return items.reduce<ResultAsync<U[], DriverError>>(
    (done, item) => done.andThen((acc) => fn(item).map((u) => [...acc, u])),
    okAsync([]),
  );
}
