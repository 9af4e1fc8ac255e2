/**
 * Backflip's Forgejo drivers: `ArtifactRegistry` over the generic package registry and
 * `Pipeline` over Forgejo Actions, both over undici. A fake Forgejo server for tests lives
 * at `@backflip/driver-forgejo/testing`.
 * @module \@backflip/driver-forgejo
 * @document ../README.md
 */

export type { ActionRunEntry } from "./action-run";
export { runStatus } from "./action-run";
export type { ArtifactNaming } from "./artifact-naming";
export { fileFor, namingFromTopology, packageFor } from "./artifact-naming";
export type { ForgejoConfig, ResolvedForgejoConfig } from "./forgejo-config";
export type { ForgejoEvent } from "./forgejo-event";
export {
  fileNameSchema,
  gitRefSchema,
  ownerNameSchema,
  packageNameSchema,
  repoNameSchema,
  runIdSchema,
  workflowFileSchema,
  workflowInputsSchema,
} from "./forgejo-names";
export { createForgejoPipeline, ForgejoPipeline } from "./forgejo-pipeline";
export { createForgejoRegistry, ForgejoRegistry } from "./forgejo-registry";
export type { ForgejoCapabilities, ServerVersion } from "./forgejo-version";
export { CAPABILITY_SINCE, capabilitiesOf, describeVersion, parseServerVersion } from "./forgejo-version";
export type {
  ComponentRetention,
  RetentionReport,
  RetentionRequest,
  RetentionRisk,
} from "./retention-report";
export { componentRetention, retentionReport } from "./retention-report";
export type { RetryPolicy } from "./retry-policy";
export { DEFAULT_RETRY_POLICY } from "./retry-policy";
