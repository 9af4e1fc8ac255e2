/**
 * Test helpers for driver authors: one conformance suite per port (run it against your
 * driver and the mock), and helpers for integration tests. Imports vitest.
 * @module
 */

export { backendEnv, backendsDir } from "./backend-env";
export type { ConformanceFixture, ConformanceTarget } from "./conformance-target";
export { skipUnlessBackend } from "./require-backend";
// conformance suites (one file per port):
