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
export type { Action, ExecLocation } from "./plan/action";
export { renderAction } from "./plan/action";
export { locationOf } from "./plan/location-of";
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
export type { Lease, LeaseLock, LeaseStatus } from "./ports/lease-lock";
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
export type { RunError, RunErrorKind } from "./runner/run-error";
// runner
export type { RunEvent, RunEventBase, RunEventType, StepErrorRecord, StepSummary } from "./runner/run-event";
export type { ResumeOptions, RunOptions } from "./runner/run-options";
export type { RunReport, StepOutcome, StepReport } from "./runner/run-report";
export type { RunState } from "./runner/run-state";
export { TERMINAL_STATES } from "./runner/run-state";
// (runner implementation exports: runPlan, resumeRun, loadRun, transitions, journals, locks)
export type { FileJournalOptions } from "./journal/file-journal";
export { FileJournal } from "./journal/file-journal";
export { MemoryJournal } from "./journal/memory-journal";
export type { FileLeaseLockOptions } from "./lock/file-lease-lock";
export { FileLeaseLock } from "./lock/file-lease-lock";
export type { MemoryLeaseLockOptions } from "./lock/memory-lease-lock";
export { MemoryLeaseLock } from "./lock/memory-lease-lock";
export { defaultOwner } from "./runner/default-owner";
export { loadRun } from "./runner/load-run";
export { replayRun } from "./runner/replay-run";
export { resumeRun } from "./runner/resume-run";
export { newRunId, runIdSchema } from "./runner/run-id";
export { DEFAULT_LOCK_TTL_MS, runPlan } from "./runner/run-plan";
export type { IllegalTransition } from "./runner/transitions";
export { canTransition, TRANSITIONS, transition } from "./runner/transitions";

// shell
export { quoteArgv, quoteForShell } from "./shell/quote-for-shell";
// (LocalShell, HttpHealthProbe exports)
export { CappedOutput } from "./shell/capped-output";
export type { LocalShellOptions } from "./shell/local-shell";
export { LocalShell } from "./shell/local-shell";
export { LocalShellFiles } from "./shell/local-shell-files";
export type { ShellRun } from "./shell/parse-shell-run";
export {
  parseShellRun,
  shellArgvSchema,
  shellRunOptionsSchema,
  startShellRun,
  stdinBytes,
} from "./shell/parse-shell-run";
export type { StoppedRun } from "./shell/stopped-run-error";
export { stoppedRunError } from "./shell/stopped-run-error";
export type { RunCheckedOptions } from "./shell/run-checked";
export { runChecked } from "./shell/run-checked";
export type { HttpHealthProbeOptions } from "./probe/http-health-probe";
export { HttpHealthProbe } from "./probe/http-health-probe";
export { probeRequestSchema } from "./probe/probe-request-schema";
export { abortSignalSchema } from "./validate/abort-signal-schema";
export { timerMsSchema } from "./validate/timer-ms-schema";

// topology and validation
export type { VezaHaproxy } from "./presets/veza";
export { vezaHaproxy, vezaTopology } from "./presets/veza";
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
  otherColor,
  packageName,
  parseTopology,
  topologySchema,
} from "./topology/topology";
export type { FullTopology, TopologySection, TopologyWith } from "./topology/topology-with";
export { topologyWith } from "./topology/topology-with";
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
export type { DriverName, Drivers, DriversFor } from "./recipes/drivers";
// (recipe exports)
export { localHealthUrl } from "./topology/topology";
export type { ApplyInverseSqlDrivers, ApplyInverseSqlInput } from "./recipes/apply-inverse-sql";
export { applyInverseSql } from "./recipes/apply-inverse-sql";
export type { CleanupColorDrivers, CleanupColorInput } from "./recipes/cleanup-color";
export { cleanupColor } from "./recipes/cleanup-color";
export type { ConvergedFacts } from "./recipes/converged-step";
export type { DecideContext, DecidedRecipe, Decision, DecisionRule, Symptom } from "./recipes/decide";
export { decide } from "./recipes/decide";
export { describeDataLoss } from "./recipes/describe-data-loss";
export type { FastFlipDrivers, FastFlipInput } from "./recipes/fast-flip";
export { fastFlip } from "./recipes/fast-flip";
export type { MigrationCaveat, MigrationWarning } from "./recipes/migration-caveat";
export { migrationWarnings } from "./recipes/migration-caveat";
export type {
  ColorFacts,
  ContainerFact,
  Facts,
  ObserveDrivers,
  ObserveOptions,
  PublicHealthFact,
} from "./recipes/observe";
export { observe } from "./recipes/observe";
export { builtInRecipes, planForIntent } from "./recipes/plan-for-intent";
export type { Recipe, RecipeEntry, RecipeSpec } from "./recipes/recipe";
export { defineRecipe, requireDrivers } from "./recipes/recipe";
export type { RecipeRegistry } from "./recipes/recipe-registry";
export { createRecipeRegistry } from "./recipes/recipe-registry";
export type { PostIncidentEntry, PostIncidentInput } from "./recipes/post-incident";
export { incidentFilePath, postIncident } from "./recipes/post-incident";
export type { ProbeOptions } from "./recipes/public-probe-step";
export type { ProbeOptionsInput, RecipeBaseInput } from "./recipes/recipe-input";
export type { LocalArtifact, RebuildAndPushDrivers, RebuildAndPushInput } from "./recipes/rebuild-and-push";
export { rebuildAndPush } from "./recipes/rebuild-and-push";
export type { RedeployDrivers, RedeployInput } from "./recipes/redeploy";
export { redeploy } from "./recipes/redeploy";
export type { RedeployViaPipelineDrivers, RedeployViaPipelineInput } from "./recipes/redeploy-via-pipeline";
export { redeployViaPipeline } from "./recipes/redeploy-via-pipeline";
export type {
  RestoreSnapshotDrivers,
  RestoreSnapshotInput,
  RestoreSnapshotPreview,
} from "./recipes/restore-snapshot";
export { planRestoreSnapshot, restoreSnapshot } from "./recipes/restore-snapshot";
export { HINTS, RUNBOOK } from "./presets/veza-runbook";
export type { StageOutput } from "./recipes/stage-artifacts-step";
export type { StartOutput } from "./recipes/start-color-step";
export type { ActivateOutput, SwitchStepsRequest } from "./recipes/traffic-switch-steps";
export { SWITCH_OUTPUTS, SWITCH_STEP_IDS, trafficSwitchSteps } from "./recipes/traffic-switch-steps";
