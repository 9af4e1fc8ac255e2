import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { err, errAsync, okAsync, type Result, ResultAsync } from "neverthrow";
import * as z from "zod";
import type { DriverError } from "../errors/driver-error";
import { fromDriverError, stepError } from "../errors/step-error";
import type { PlanIntent } from "../plan/plan-intent";
import { createPlan, type RollbackPlan } from "../plan/rollback-plan";
import { defineStep, type Step, stepHandle } from "../plan/step";
import type { ArtifactInfo, ArtifactRegistry } from "../ports/artifact-registry";
import type { Topology } from "../topology/topology";
import { absolutePathSchema, shaSchema } from "../validate/schemas";
import { artifactsCheck } from "./artifacts-check";
import type { DriversFor } from "./drivers";
import { inOrder } from "./in-order";
import { registryActions } from "./port-actions";
import { defineRecipe } from "./recipe";
import {
  parseParams,
  parseRecipeInput,
  type RecipeBaseInput,
  recipeBaseSchema,
  recipeError,
} from "./recipe-input";

const artifactList = (t: Topology) =>
  z
    .array(z.object({ component: z.enum(t.containers.components), path: absolutePathSchema }).strict())
    .min(1)
    .refine(
      (list) => new Set(list.map((a) => a.component)).size === list.length,
      "one artifact per component",
    );

/** Input of {@link rebuildAndPush}: the SHA and the artefacts you built locally (`/tmp/veza-backend-$SHA.tar.zst`). */
export interface RebuildAndPushInput extends RecipeBaseInput {
  /** The 40-hex SHA the artefacts were built from. */
  readonly sha: string;
  /** One local file per component (a component of the topology), absolute paths. */
  readonly artifacts: readonly { readonly component: string; readonly path: string }[];
}

/** The drivers {@link rebuildAndPush} uses. */
export type RebuildAndPushDrivers = DriversFor<"registry">;

const rebuildInput = (t: Topology): z.ZodType<RebuildAndPushInput> =>
  recipeBaseSchema.extend({ sha: shaSchema, artifacts: artifactList(t) }).strict();

const rebuildParams = (t: Topology) => z.object({ sha: shaSchema, push: artifactList(t) });

/** A local artefact as checked before the push. */
export interface LocalArtifact {
  readonly component: string;
  readonly path: string;
  readonly size: number;
  readonly sha256: string;
}

const LOCAL_STEP_ID = "local-artifacts";
/** The local artefacts as checked before the push (the `local-artifacts` step's output). */
const LOCAL_OUTPUT = stepHandle<LocalArtifact[]>(LOCAL_STEP_ID);
const VERIFY_STEP_ID = "artifacts-pushed";

const localError = (path: string) => (cause: unknown) =>
  recipeError(
    "rebuildAndPush",
    "not_found",
    `cannot read the local artefact ${path}: ${cause instanceof Error ? cause.message : String(cause)}`,
    { hint: "build it first (go build … && tar --use-compress-program=zstd -cf …)", cause },
  );

function hashFile(path: string): ResultAsync<Omit<LocalArtifact, "component">, DriverError> {
  return ResultAsync.fromPromise(
    (async () => {
      const info = await stat(path);
      if (!info.isFile()) throw new Error("not a regular file");
      const hash = createHash("sha256");
      for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
      return { path, size: info.size, sha256: hash.digest("hex") };
    })(),
    localError(path),
  );
}

function pushStep(registry: ArtifactRegistry, sha: string, component: string, path: string) {
  const id = `push-${component}`;
  return defineStep<ArtifactInfo>({
    id,
    title: `Push ${path} to the registry as ${component} ${sha.slice(0, 12)}`,
    kind: "change",
    idempotent: true,
    describe: () => registryActions(registry, { op: "upload", ref: { component, sha }, path }),
    run: (ctx) => {
      const local = ctx.output(LOCAL_OUTPUT)?.find((a) => a.component === component);
      return registry
        .upload({ component, sha }, { path })
        .mapErr((e) => fromDriverError(id, e))
        .andThen((info) =>
          local && info.sha256 && info.sha256 !== local.sha256
            ? errAsync(
                stepError(
                  id,
                  "failed",
                  `the registry holds sha256 ${info.sha256}, the local file has ${local.sha256}`,
                  {
                    hint: "a different artefact already sits under that version: delete it in the registry, then push again",
                  },
                ),
              )
            : okAsync(info),
        );
    },
  });
}

/**
 * Builds the rebuild-and-push plan from its intent (also used on resume): check every
 * local artefact (size, sha256), push each (streamed, checksum checked), then verify the
 * registry holds every component for the SHA.
 */
function rebuildAndPushPlanFromIntent(
  topology: Topology,
  drivers: RebuildAndPushDrivers,
  intent: PlanIntent,
): Result<RollbackPlan, DriverError> {
  const { registry } = drivers;
  return parseParams(rebuildParams(topology), intent, "rebuildAndPush").andThen(({ sha, push }) => {
    const local = defineStep<LocalArtifact[]>({
      id: LOCAL_STEP_ID,
      title: `Check the ${push.length} locally built artefact(s) for ${sha.slice(0, 12)}`,
      kind: "check",
      idempotent: true,
      describe: () =>
        push.map(
          (a) => ({ kind: "exec", where: { kind: "local" }, argv: ["sha256sum", "--", a.path] }) as const,
        ),
      run: (ctx) =>
        inOrder(push, (a) => hashFile(a.path).map((h) => ({ ...h, component: a.component })))
          .map((list) => {
            for (const a of list) ctx.log(`${a.component}: ${a.path} ${a.size} bytes sha256 ${a.sha256}`);
            return list;
          })
          .mapErr((e) => fromDriverError(LOCAL_STEP_ID, e)),
    });
    const steps: Step[] = [
      local,
      ...push.map((a) => pushStep(registry, sha, a.component, a.path)),
      artifactsCheck(registry, topology, sha, { id: VERIFY_STEP_ID, kind: "verify" }),
    ];
    return createPlan(intent, steps);
  });
}

/**
 * Path 3 — tarball missing: pushes the artefacts you rebuilt locally to the registry
 * (the runbook's `curl -X PUT --upload-file …`), then verifies every component is there
 * for the SHA. Then run Path 2. Refuses up front when a given file is unreadable, when
 * a component's artefact is missing from the registry and not given, or when there is
 * nothing to push. Planning reads, never changes.
 */
export function rebuildAndPush(
  topology: Topology,
  drivers: RebuildAndPushDrivers,
  input: RebuildAndPushInput,
): ResultAsync<RollbackPlan, DriverError> {
  const parsed = parseRecipeInput("rebuildAndPush", topology, [], rebuildInput, input);
  if (parsed.isErr()) return errAsync(parsed.error);
  const { topology: t, input: args } = parsed.value;
  const { registry } = drivers;
  const refuse = (reason: "invalid_input" | "conflict", message: string, hint: string) =>
    err(recipeError("rebuildAndPush", reason, message, { hint }));
  return inOrder(args.artifacts, (a) => hashFile(a.path))
    .andThen(() =>
      ResultAsync.combine(
        t.containers.components.map((component) =>
          registry.stat({ component, sha: args.sha }).map((info) => ({ component, present: info !== null })),
        ),
      ),
    )
    .andThen((rows) => {
      const missing = rows.filter((r) => !r.present).map((r) => r.component);
      const given = args.artifacts.map((a) => a.component);
      const notGiven = missing.filter((c) => !given.includes(c));
      if (notGiven.length > 0)
        return refuse(
          "invalid_input",
          `the registry also lacks ${notGiven.join(", ")} for ${args.sha.slice(0, 12)}: Path 2 needs every component`,
          `build ${notGiven.join(", ")} too and pass them in artifacts`,
        );
      const push = args.artifacts.filter((a) => missing.includes(a.component));
      if (push.length === 0)
        return refuse(
          "conflict",
          `the registry already holds every artefact for ${args.sha.slice(0, 12)}: nothing to push`,
          "run Path 2 (redeploy)",
        );
      const intent: PlanIntent = {
        path: "rebuild-push",
        env: t.env,
        sha: args.sha,
        actor: args.actor,
        reason: args.reason,
        params: { sha: args.sha, push },
      };
      return rebuildAndPushPlanFromIntent(t, drivers, intent);
    });
}

/** Path 3's rebuild-and-push as a registered recipe: resumable through a recipe registry. */
export const rebuildAndPushRecipe = defineRecipe({
  path: "rebuild-push",
  drivers: ["registry"],
  plan: rebuildAndPushPlanFromIntent,
});
