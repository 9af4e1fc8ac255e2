import { okAsync, type ResultAsync } from "neverthrow";

/** Runs `fn` over `items` one after the other (never in parallel), stopping at the first error. */
export function inOrder<T, U, E>(
  items: readonly T[],
  fn: (item: T, index: number) => ResultAsync<U, E>,
): ResultAsync<U[], E> {
  return items.reduce<ResultAsync<U[], E>>(
    (acc, item, index) => acc.andThen((done) => fn(item, index).map((u) => [...done, u])),
    okAsync([]),
  );
}
