/**
 * Test helpers that need no test runner (`@backflip/core/testing/fakes`): a recording
 * Shell, a scripted host with files and programs, a step context builder, the
 * conformance target types, and what integration tests use to find their backend.
 * `@backflip/core/testing` re-exports all of it beside the conformance suites, which
 * import vitest.
 * @module \@backflip/core/testing/fakes
 */

export { backendEnv, backendsDir } from "./backend-env";
export type { ConformanceFixture, ConformanceTarget } from "./conformance-target";
export { supports } from "./conformance-target";
export type {
  RecordingShell,
  RecordingShellOptions,
  ShellAnswer,
  ShellCall,
  ShellScript,
} from "./recording-shell";
export { recordingShell } from "./recording-shell";
export { skipUnlessBackend } from "./require-backend";
export type {
  FileOp,
  HostProgram,
  MemoryFile,
  ProgramCall,
  ScriptedHost,
  ScriptedHostOptions,
} from "./scripted-host";
export { scriptedHost } from "./scripted-host";
export type { SelfSignedCertificate } from "./self-signed-certificate";
export { selfSignedCertificate } from "./self-signed-certificate";
export type { StepContextInit, TestStepContext } from "./step-context";
export { stepContext } from "./step-context";
