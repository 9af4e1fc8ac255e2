/** One driver instance plus the fixtures a conformance suite needs, fresh for each test. */
export interface ConformanceFixture<P, F> {
  /** The driver under test. */
  readonly port: P;
  /** Names, paths or handles the suite needs (port-specific). */
  readonly fixtures: F;
  /** Called after each test. */
  readonly teardown?: () => Promise<void>;
}

/** What a driver package passes to a port's conformance suite. */
export interface ConformanceTarget<P, F = Record<string, never>> {
  /** Shown in test names, e.g. `mock` or `incus (real)`. */
  readonly name: string;
  /** Builds a fresh driver and fixtures for one test. */
  setup(): Promise<ConformanceFixture<P, F>>;
  /** A skip message (see `skipUnlessBackend`), or `false` to run. */
  readonly skip?: string | false;
}
