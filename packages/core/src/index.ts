/**
 * Backflip core: the ports drivers implement, steps and plans, the runner with its
 * journal and lease lock, the topology, and the runbook's recipes.
 * @module
 */

// errors
export type { DriverError, DriverErrorInit, DriverErrorReason } from "./errors/driver-error";
export { driverError, formatDriverError, isDriverError } from "./errors/driver-error";
export { invalidInput } from "./errors/invalid-input";
export type { StepError } from "./errors/step-error";
export { fromDriverError, stepError } from "./errors/step-error";
// steps and plans
export type { PlanIntent, RecipePath } from "./plan/plan-intent";
export type { PlanDescription, RollbackPlan, StepDescription } from "./plan/rollback-plan";
export { createPlan } from "./plan/rollback-plan";
export type { Reconciled, Step, StepContext, StepKind } from "./plan/step";
export { defineStep } from "./plan/step";
// ports
export type { AlertQuery, AlertSource } from "./ports/alert-source";
export type {
  ArtifactInfo,
  ArtifactRef,
  ArtifactRegistry,
  ArtifactSource,
  ArtifactVersion,
} from "./ports/artifact-registry";
export type {
  ContainerHost,
  FileMeta,
  InstanceFilter,
  InstanceInfo,
  InstanceSnapshot,
} from "./ports/container-host";
export type { ApplySqlOptions, Database, MigrationState } from "./ports/database";
export type { HealthProbe, ProbeRequest, ProbeResult } from "./ports/health-probe";
export type { Journal, JournalRecord } from "./ports/journal";
export type { Lease, LeaseLock, LeaseStatus } from "./ports/lease-lock";
export type { DispatchRequest, FollowOptions, Pipeline, PipelineRun, RunStatus } from "./ports/pipeline";
export { FINAL_RUN_STATUSES } from "./ports/pipeline";
export type { Shell, ShellFiles, ShellResult, ShellRunOptions } from "./ports/shell";
export type { DataLossReport, DatasetSnapshot, SnapshotStore } from "./ports/snapshot-store";
export type {
  HistoryEntry,
  RenderedConfig,
  SwitchRequest,
  TrafficState,
  TrafficSwitch,
} from "./ports/traffic-switch";
export type { RunError, RunErrorKind } from "./runner/run-error";
// runner
export type { RunEvent, RunEventBase, RunEventType, StepErrorRecord, StepSummary } from "./runner/run-event";
export type { ResumeOptions, RunOptions } from "./runner/run-options";
export type { RunReport, StepOutcome, StepReport } from "./runner/run-report";
export type { RunState } from "./runner/run-state";
export { TERMINAL_STATES } from "./runner/run-state";
// (runner implementation exports: runPlan, resumeRun, loadRun, transitions, journals, locks)

// shell
export { quoteArgv, quoteForShell } from "./shell/quote-for-shell";
// (LocalShell, HttpHealthProbe exports)

// topology and validation
export type { Topology } from "./topology/topology";
export {
  artifactFileName,
  colorContainers,
  containerName,
  datasetName,
  otherColor,
  packageName,
  parseTopology,
  topologySchema,
  vezaTopology,
} from "./topology/topology";
export { parseInput } from "./validate/parse-input";
export {
  absolutePathSchema,
  datasetNameSchema,
  envNameSchema,
  instanceNameSchema,
  shaSchema,
  shortShaSchema,
  simpleNameSchema,
  snapshotNameSchema,
} from "./validate/schemas";

// deploy metrics
export { DeployMetrics, deployOutcome } from "./metrics/deploy-metrics";
export type { MetricsServer } from "./metrics/serve-metrics";
export { serveMetrics } from "./metrics/serve-metrics";
export type { DeployAlertStatus } from "./metrics/deploy-alert-status";
export { DEPLOY_FAILED_ALERT, deployAlertStatus } from "./metrics/deploy-alert-status";

// recipes
export type { Drivers } from "./recipes/drivers";
// (recipe exports)
