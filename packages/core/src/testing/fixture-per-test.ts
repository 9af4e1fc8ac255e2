import { afterEach, beforeEach } from "vitest";
import type { ConformanceFixture, ConformanceTarget } from "./conformance-target";

/**
 * Gives each test of the enclosing `describe` a fresh driver and fixtures from
 * `target.setup()` (torn down after it); returns a getter for the current test's one.
 */
export function fixturePerTest<P, F>(
  target: ConformanceTarget<P, F, string>,
): () => ConformanceFixture<P, F> {
  let current: ConformanceFixture<P, F> | undefined;
  beforeEach(async () => {
    current = await target.setup();
  });
  afterEach(async () => {
    await current?.teardown?.();
    current = undefined;
  });
  return () => {
    if (!current) throw new Error("no fixture: call this inside a test");
    return current;
  };
}
