/**
 * Backflip core: the contracts — errors as values, steps and plans, the ports drivers
 * implement, the runner with its journal and lease lock, LocalShell, HttpHealthProbe and
 * the Topology. What driver authors share is in `@backflip/core/driver-kit`, the
 * runbook's recipes and the Veza preset in `@backflip/core/recipes`, the conformance
 * suites and test fakes in `@backflip/core/testing`.
 * @module \@backflip/core
 * @document ../README.md
 */

// errors
export type { DriverError, DriverErrorInit, DriverErrorReason } from "./errors/driver-error";
export { driverError, formatDriverError, isDriverError } from "./errors/driver-error";
export type { StepError } from "./errors/step-error";
export { fromDriverError, stepError } from "./errors/step-error";
// steps and plans
export type { Action, ExecLocation } from "./plan/action";
export { renderAction } from "./plan/action";
export type { PlanIntent, RecipePath } from "./plan/plan-intent";
export type { PlanDescription, RollbackPlan, StepDescription } from "./plan/rollback-plan";
export { createPlan } from "./plan/rollback-plan";
export type { Reconciled, Step, StepContext, StepHandle, StepKind } from "./plan/step";
export { defineStep, stepHandle } from "./plan/step";
// ports
export type { AlertQuery, AlertSource } from "./ports/alert-source";
export type {
  ArtifactInfo,
  ArtifactOperation,
  ArtifactRef,
  ArtifactRegistry,
  ArtifactSource,
  ArtifactVersion,
} from "./ports/artifact-registry";
export type {
  ContainerHost,
  ContainerOperation,
  FileMeta,
  InstanceFilter,
  InstanceInfo,
  InstanceSnapshot,
} from "./ports/container-host";
export type { ApplySqlOptions, Database, DatabaseOperation, MigrationState } from "./ports/database";
export type { HealthProbe, ProbeRequest, ProbeResult } from "./ports/health-probe";
export type { AppendOptions, Journal, JournalRecord } from "./ports/journal";
export type { Fence, Lease, LeaseLock, LeaseStatus } from "./ports/lease-lock";
export type {
  DispatchRequest,
  FollowOptions,
  Pipeline,
  PipelineOperation,
  PipelineRun,
  RunStatus,
} from "./ports/pipeline";
export { FINAL_RUN_STATUSES, RUN_STATUSES } from "./ports/pipeline";
export type { FileEntry, Shell, ShellFiles, ShellResult, ShellRunOptions } from "./ports/shell";
export type {
  DataLossReport,
  DatasetSnapshot,
  SnapshotOperation,
  SnapshotStore,
} from "./ports/snapshot-store";
export type {
  HistoryEntry,
  RenderedConfig,
  SwitchRequest,
  TrafficOperation,
  TrafficState,
  TrafficSwitch,
} from "./ports/traffic-switch";
// runner
export type { RunError, RunErrorKind } from "./runner/run-error";
export type { RunEvent, RunEventBase, RunEventType, StepErrorRecord, StepSummary } from "./runner/run-event";
export type { ResumeOptions, RunOptions } from "./runner/run-options";
export type { RunReport, StepOutcome, StepReport } from "./runner/run-report";
export type { RunState } from "./runner/run-state";
export { TERMINAL_STATES } from "./runner/run-state";
export { defaultOwner } from "./runner/default-owner";
export { loadRun } from "./runner/load-run";
export { replayRun } from "./runner/replay-run";
export { resumeRun } from "./runner/resume-run";
export { runIdSchema } from "./runner/run-id";
export { DEFAULT_LOCK_TTL_MS, runPlan } from "./runner/run-plan";
// journal and lease lock
export type { FileJournalOptions } from "./journal/file-journal";
export { FileJournal } from "./journal/file-journal";
export type { FenceAuthority } from "./journal/fence-check";
export type { MemoryJournalOptions } from "./journal/memory-journal";
export { MemoryJournal } from "./journal/memory-journal";
export type { FileLeaseLockOptions } from "./lock/file-lease-lock";
export { FileLeaseLock } from "./lock/file-lease-lock";
export type { MemoryLeaseLockOptions } from "./lock/memory-lease-lock";
export { MemoryLeaseLock } from "./lock/memory-lease-lock";
// the local shell and the HTTP probe
export type { LocalShellOptions } from "./shell/local-shell";
export { LocalShell } from "./shell/local-shell";
export type { HttpHealthProbeOptions } from "./probe/http-health-probe";
export { HttpHealthProbe } from "./probe/http-health-probe";
// topology
export type {
  AppSection,
  ContainersSection,
  DatabaseSection,
  PipelineSection,
  RegistrySection,
  SnapshotsSection,
  Topology,
  TrafficSection,
} from "./topology/topology";
export {
  artifactFileName,
  colorContainers,
  containerName,
  datasetName,
  localHealthUrl,
  otherColor,
  packageName,
  parseTopology,
  topologySchema,
} from "./topology/topology";
export type { FullTopology, TopologySection, TopologyWith } from "./topology/topology-with";
export { topologyWith } from "./topology/topology-with";
