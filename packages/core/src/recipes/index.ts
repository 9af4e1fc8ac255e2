/**
 * The rollback runbook as code (`@backflip/core/recipes`): its paths as recipes that
 * return plans (`fastFlip`, `redeploy`, `redeployViaPipeline`, `rebuildAndPush`,
 * `applyInverseSql`, `restoreSnapshot`, `cleanupColor`), `observe` and `decide` (the
 * flowchart), `postIncident`, the recipe registry, the traffic switch's steps, deploy
 * metrics, and the Veza preset (`vezaTopology`, the runbook's `HINTS` and `RUNBOOK`).
 * @module \@backflip/core/recipes
 */

export type { DegradedMarker, DegradedMarkerStore, LaggingEdge } from "../fleet/degraded-marker";
export { fileDegradedMarker, memoryDegradedMarker } from "../fleet/degraded-marker";
export type { EdgeFact, FleetFacts } from "../fleet/fleet-facts";
export type { FleetEdge } from "../fleet/fleet-steps";
export { FLEET_STEP_IDS } from "../fleet/fleet-steps";
export type { DeployAlertStatus } from "../metrics/deploy-alert-status";
export { DEPLOY_FAILED_ALERT, deployAlertStatus } from "../metrics/deploy-alert-status";
export { DeployMetrics, deployOutcome } from "../metrics/deploy-metrics";
export type { MetricsServer } from "../metrics/serve-metrics";
export { serveMetrics } from "../metrics/serve-metrics";
export type { VezaHaproxy } from "../presets/veza";
export { vezaHaproxy, vezaTopology } from "../presets/veza";
export { HINTS, RUNBOOK } from "../presets/veza-runbook";
export type { ApplyInverseSqlDrivers, ApplyInverseSqlInput } from "./apply-inverse-sql";
export { applyInverseSql } from "./apply-inverse-sql";
export type { CleanupColorDrivers, CleanupColorInput } from "./cleanup-color";
export { cleanupColor } from "./cleanup-color";
export { clearDegraded } from "./clear-degraded";
export type { ConvergedFacts } from "./converged-step";
export type { DecideContext, DecidedRecipe, Decision, DecisionRule, Symptom } from "./decide";
export { decide, SYMPTOMS } from "./decide";
export { describeDataLoss } from "./describe-data-loss";
export type { DriverName, Drivers, DriversFor } from "./drivers";
export type { FastFlipDrivers, FastFlipInput } from "./fast-flip";
export { fastFlip } from "./fast-flip";
export type { FleetFlipDrivers, FleetFlipInput } from "./fleet-flip";
export { fleetFlip } from "./fleet-flip";
export { incidentFilePath } from "./incident-file-path";
export type { MigrationCaveat, MigrationWarning } from "./migration-caveat";
export { migrationWarnings } from "./migration-caveat";
export type {
  ColorFacts,
  ContainerFact,
  Facts,
  ObserveDrivers,
  ObserveOptions,
  PublicHealthFact,
} from "./observe";
export { observe } from "./observe";
export { builtInRecipes, planForIntent } from "./plan-for-intent";
export type { PostIncidentEntry, PostIncidentInput } from "./post-incident";
export { postIncident } from "./post-incident";
export type { ProbeOptions } from "./public-probe-step";
export type { LocalArtifact, RebuildAndPushDrivers, RebuildAndPushInput } from "./rebuild-and-push";
export { rebuildAndPush } from "./rebuild-and-push";
export type { Recipe, RecipeEntry, RecipeSpec } from "./recipe";
export { defineRecipe, requireDrivers } from "./recipe";
export type { ProbeOptionsInput, RecipeBaseInput } from "./recipe-input";
export type { RecipeRegistry } from "./recipe-registry";
export { createRecipeRegistry } from "./recipe-registry";
export type { RedeployDrivers, RedeployInput } from "./redeploy";
export { redeploy } from "./redeploy";
export type { RedeployViaPipelineDrivers, RedeployViaPipelineInput } from "./redeploy-via-pipeline";
export { redeployViaPipeline } from "./redeploy-via-pipeline";
export type {
  RestoreSnapshotDrivers,
  RestoreSnapshotInput,
  RestoreSnapshotPreview,
} from "./restore-snapshot";
export { planRestoreSnapshot, restoreSnapshot } from "./restore-snapshot";
export type { StageOutput } from "./stage-artifacts-step";
export type { StartOutput } from "./start-color-step";
export type { ActivateOutput, SwitchStepsRequest } from "./traffic-switch-steps";
export { SWITCH_OUTPUTS, SWITCH_STEP_IDS, trafficSwitchSteps } from "./traffic-switch-steps";
