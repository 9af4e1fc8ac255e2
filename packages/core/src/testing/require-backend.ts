/**
 * Decides whether an integration suite runs. Returns `false` (run) when the backend is
 * there; otherwise a skip message naming the setup — unless `BACKFLIP_REQUIRE_REAL=1`,
 * where a missing backend throws so the test file fails instead of skipping.
 *
 * @example
 * describe.skipIf(skipUnlessBackend(await haproxyInstalled(), "haproxy", "scripts/backends up haproxy"))(…)
 */
export function skipUnlessBackend(available: boolean, backend: string, setup: string): string | false {
  if (available) return false;
  const message = `${backend} is not available: run \`${setup}\` to test against the real backend`;
  if (process.env.BACKFLIP_REQUIRE_REAL === "1") {
    throw new Error(`BACKFLIP_REQUIRE_REAL=1 but ${message}`);
  }
  console.warn(`[backflip] skipping: ${message}`);
  return message;
}
