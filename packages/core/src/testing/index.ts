/**
 * Test helpers for driver authors: one conformance suite per port (run it against your
 * driver and the mock), the shared fakes and helpers for integration tests. Imports
 * vitest; `@backflip/core/testing/fakes` has the fakes and helpers without it.
 * @module \@backflip/core/testing
 */

export * from "./fakes";
// conformance suites (one file per port):
export { type JournalFixtures, runJournalConformance } from "./journal-conformance";
export { type LeaseLockFixtures, runLeaseLockConformance } from "./lease-lock-conformance";
export type { ArtifactRegistryFixtures } from "./artifact-registry-conformance";
export { runArtifactRegistryConformance } from "./artifact-registry-conformance";
export type { PipelineCapability, PipelineFixtures } from "./pipeline-conformance";
export { runPipelineConformance } from "./pipeline-conformance";
export { runHealthProbeConformance } from "./health-probe-conformance";
export { runShellConformance } from "./shell-conformance";
export type { ContainerHostCapability, ContainerHostFixtures } from "./container-host-conformance";
export { runContainerHostConformance } from "./container-host-conformance";
export type { TrafficSwitchFixtures } from "./traffic-switch-conformance";
export { runTrafficSwitchConformance } from "./traffic-switch-conformance";
export type { SnapshotStoreFixtures } from "./snapshot-store-conformance";
export { runSnapshotStoreConformance } from "./snapshot-store-conformance";
export type { DatabaseCapability, DatabaseFixtures, MigrationFixtureState } from "./database-conformance";
export { runDatabaseConformance } from "./database-conformance";
