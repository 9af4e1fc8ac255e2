import type { ConformanceTarget } from "./conformance-target";

/** Runs `use` on a fresh driver and fixtures from `target.setup()`, then tears them down (also when `use` fails). */
export async function withFixture<P, F, T>(
  target: ConformanceTarget<P, F, string>,
  use: (port: P, fixtures: F) => Promise<T>,
): Promise<T> {
  const fixture = await target.setup();
  try {
    return await use(fixture.port, fixture.fixtures);
  } finally {
    await fixture.teardown?.();
  }
}
