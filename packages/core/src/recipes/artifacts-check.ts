import { errAsync, okAsync, ResultAsync } from "neverthrow";
import { type DriverError, driverError } from "../errors/driver-error";
import { fromDriverError, stepError } from "../errors/step-error";
import { defineStep, type Step } from "../plan/step";
import type { ArtifactInfo, ArtifactRegistry } from "../ports/artifact-registry";
import { HINTS } from "../presets/veza-runbook";
import { artifactFileName, type Topology } from "../topology/topology";
import { registryActions } from "./port-actions";
import { RECIPE_DRIVER } from "./recipe-input";

/** The step id of {@link artifactsCheck}. */
export const RESOLVE_ARTIFACTS_STEP_ID = "resolve-artifacts";

/** One artifact's file name: from the topology's `registry` section, else `<component>-<sha>`. */
export function artifactFile(topology: Topology, component: string, sha: string): string {
  return topology.registry ? artifactFileName(topology.registry, component, sha) : `${component}-${sha}`;
}

/** Every component's artifact for `sha`, or the components whose artifact is missing. */
function statAll(
  registry: ArtifactRegistry,
  topology: Topology,
  sha: string,
): ResultAsync<{ found: ArtifactInfo[]; missing: string[] }, DriverError> {
  return ResultAsync.combine(
    topology.containers.components.map((component) =>
      registry.stat({ component, sha }).map((info) => ({ component, info })),
    ),
  ).map((rows) => ({
    found: rows.flatMap((r) => (r.info ? [r.info] : [])),
    missing: rows.filter((r) => !r.info).map((r) => r.component),
  }));
}

const missingMessage = (topology: Topology, sha: string, missing: string[]) =>
  `the registry no longer holds ${missing.map((c) => artifactFile(topology, c, sha)).join(", ")}`;

/**
 * Phase A at planning time: resolves every component's artifact for `sha`; a missing one
 * refuses the plan up front (`not_found`, hint: Path 3, rebuild and push).
 */
export function resolveArtifacts(
  registry: ArtifactRegistry,
  topology: Topology,
  sha: string,
  op: string,
): ResultAsync<ArtifactInfo[], DriverError> {
  return statAll(registry, topology, sha).andThen(({ found, missing }) =>
    missing.length === 0
      ? okAsync(found)
      : errAsync(
          driverError({
            driver: RECIPE_DRIVER,
            op,
            reason: "not_found",
            message: missingMessage(topology, sha, missing),
            hint: HINTS.usePath3Rebuild,
            details: { sha, missing },
          }),
        ),
  );
}

/**
 * Phase A at run time: every component's artifact for `sha` is still in the registry
 * (else the Path 3 hint). As a `verify` step it confirms a push landed.
 */
export function artifactsCheck(
  registry: ArtifactRegistry,
  topology: Topology,
  sha: string,
  as: { id: string; kind: "check" | "verify" } = { id: RESOLVE_ARTIFACTS_STEP_ID, kind: "check" },
): Step<ArtifactInfo[]> {
  return defineStep({
    id: as.id,
    title: `Resolve every component's artifact for ${sha.slice(0, 12)} in the registry`,
    kind: as.kind,
    idempotent: true,
    describe: () =>
      topology.containers.components.flatMap((component) =>
        registryActions(registry, { op: "stat", ref: { component, sha } }),
      ),
    run: () =>
      statAll(registry, topology, sha)
        .mapErr((e) => fromDriverError(as.id, e))
        .andThen(({ found, missing }) =>
          missing.length === 0
            ? okAsync(found)
            : errAsync(
                stepError(as.id, "not_found", missingMessage(topology, sha, missing), {
                  hint: HINTS.usePath3Rebuild,
                }),
              ),
        ),
  });
}
