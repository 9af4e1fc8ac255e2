import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, posix } from "node:path";
import { errAsync, okAsync, Result, ResultAsync } from "neverthrow";
import type { DriverError } from "../errors/driver-error";
import { fromDriverError } from "../errors/step-error";
import type { Action } from "../plan/action";
import { locationOf } from "../plan/location-of";
import { defineStep, type Step } from "../plan/step";
import type { ArtifactRegistry } from "../ports/artifact-registry";
import type { ContainerHost } from "../ports/container-host";
import { containerName } from "../topology/topology";
import type { TopologyWith } from "../topology/topology-with";
import { parseInput } from "../validate/parse-input";
import { fileNameSchema } from "../validate/schemas";
import { artifactFile } from "./artifacts-check";
import { inOrder } from "./in-order";
import { registryActions } from "./port-actions";
import { RECIPE_DRIVER, recipeError } from "./recipe-input";

/** The step id of {@link stageArtifactsStep}. */
export const STAGE_STEP_ID = "stage-artifacts";

/** What staging did: the release file each container had before (to put it back on undo). */
export interface StageOutput {
  /** Container → the release SHA it had before (`null`: no release file). */
  readonly previous: Readonly<Record<string, string | null>>;
  /** The staged artifact paths, inside the containers. */
  readonly staged: readonly string[];
}

const decoder = new TextDecoder();

const localError = (op: string) => (cause: unknown) =>
  recipeError(
    op,
    "failed",
    `local file operation failed: ${cause instanceof Error ? cause.message : String(cause)}`,
    { cause },
  );

function readRelease(
  host: ContainerHost,
  container: string,
  file: string,
): ResultAsync<string | null, DriverError> {
  return host
    .pullFile(container, file)
    .map((bytes): string | null => decoder.decode(bytes).trim() || null)
    .orElse((e) => (e.reason === "not_found" ? okAsync(null) : errAsync(e)));
}

/**
 * Every artifact file name, checked to be one file name: joined to the local temp directory
 * and to the stage directory, none may leave them (a `Topology` can be built by hand, past
 * the topology schema).
 */
function checkFileNames(files: readonly string[]): Result<readonly string[], DriverError> {
  return Result.combine(
    files.map((file) =>
      parseInput(fileNameSchema, file, {
        driver: RECIPE_DRIVER,
        op: "stage",
        hint: "fix registry.filePattern: it must give one file name",
      }),
    ),
  );
}

/**
 * Phase C: downloads every component's artifact for `sha` (checksum verified by the
 * registry driver), pushes it into the idle color's container under the stage directory,
 * and writes the container's release file; an artifact file name that is not one file name
 * (`../x`) is `invalid_input` before anything is downloaded. Undo puts each container's previous release
 * file back (or removes it when there was none).
 */
export function stageArtifactsStep(
  host: ContainerHost,
  registry: ArtifactRegistry,
  topology: TopologyWith<"app">,
  color: string,
  sha: string,
): Step<StageOutput> {
  const { releaseFile, stageDir } = topology.containers.app;
  const targets = topology.containers.components.map((component) => ({
    component,
    container: containerName(topology, component, color),
    file: artifactFile(topology, component, sha),
  }));
  return defineStep({
    id: STAGE_STEP_ID,
    title: `Stage ${sha.slice(0, 12)}'s artifacts into the ${color} containers`,
    kind: "change",
    idempotent: true,
    describe: () =>
      targets.flatMap(({ component, container, file }): Action[] => {
        const where = locationOf(host.shell(container));
        return [
          { kind: "file", op: "read", where, path: releaseFile },
          ...registryActions(registry, { op: "download", ref: { component, sha } }),
          { kind: "file", op: "write", where, path: posix.join(stageDir, file) },
          { kind: "file", op: "write", where, path: releaseFile },
        ];
      }),
    run: (ctx) =>
      checkFileNames(targets.map((t) => t.file))
        .asyncAndThen(() =>
          ResultAsync.fromPromise(mkdtemp(join(tmpdir(), "backflip-stage-")), localError("stage")),
        )
        .andThen((dir) => {
          const work = inOrder(targets, ({ component, container, file }) => {
            const local = join(dir, file);
            const dest = posix.join(stageDir, file);
            return readRelease(host, container, releaseFile).andThen((previous) =>
              registry
                .download({ component, sha }, local)
                .andThen(() => ResultAsync.fromPromise(readFile(local), localError("stage")))
                .andThen((bytes) => host.pushFile(container, dest, bytes, { mode: 0o644 }))
                .andThen(() => host.pushFile(container, releaseFile, `${sha}\n`, { mode: 0o644 }))
                .map(() => {
                  ctx.log(`staged ${file} into ${container}`);
                  return { container, previous, dest };
                }),
            );
          });
          const cleanup = () =>
            ResultAsync.fromPromise(rm(dir, { recursive: true, force: true }), localError("stage"));
          return work
            .andThen((rows) => cleanup().map(() => rows))
            .orElse((e) => cleanup().andThen(() => errAsync<never, DriverError>(e)))
            .map(
              (rows): StageOutput => ({
                previous: Object.fromEntries(rows.map((r) => [r.container, r.previous])),
                staged: rows.map((r) => `${r.container}:${r.dest}`),
              }),
            );
        })
        .mapErr((e) => fromDriverError(STAGE_STEP_ID, e)),
    undo: (ctx, output) =>
      inOrder(Object.entries(output.previous), ([container, previous]) => {
        ctx.log(`restoring ${container}'s release file (${previous ?? "none"})`);
        return previous === null
          ? host
              .shell(container)
              .run(["rm", "-f", releaseFile])
              .map(() => undefined)
          : host.pushFile(container, releaseFile, `${previous}\n`, { mode: 0o644 });
      })
        .map(() => undefined)
        .mapErr((e) => fromDriverError(STAGE_STEP_ID, e)),
  });
}
