/** One driver instance plus the fixtures a conformance suite needs, fresh for each test. */
export interface ConformanceFixture<P, F> {
  /** The driver under test. */
  readonly port: P;
  /** Names, paths or handles the suite needs (port-specific). */
  readonly fixtures: F;
  /** Called after each test. */
  readonly teardown?: () => Promise<void>;
}

/**
 * What a driver package passes to a port's conformance suite. `C` names the optional
 * capabilities of that port's contract (each suite exports its own, e.g.
 * `ContainerHostCapability`); a driver lists the ones it lacks in `unsupported`
 * instead of emulating them, and the suite skips their tests, saying so.
 */
export interface ConformanceTarget<P, F = Record<string, never>, C extends string = never> {
  /** Shown in test names, e.g. `mock` or `incus (real)`. */
  readonly name: string;
  /** Builds a fresh driver and fixtures for one test. */
  setup(): Promise<ConformanceFixture<P, F>>;
  /** A skip message (see `skipUnlessBackend`), or `false` to run. */
  readonly skip?: string | false;
  /** Optional capabilities this driver does not offer: their tests are skipped. */
  readonly unsupported?: readonly C[];
}

/** True unless the target declares `capability` unsupported. */
export function supports<C extends string>(
  target: { readonly unsupported?: readonly C[] },
  capability: C,
): boolean {
  return !(target.unsupported ?? []).includes(capability);
}
