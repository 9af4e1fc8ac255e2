import { err, ok, type Result } from "neverthrow";
import * as z from "zod";
import type { DriverError } from "../errors/driver-error";
import { invalidInput } from "../errors/invalid-input";
import { createPlan, type RollbackPlan } from "../plan/rollback-plan";
import type { Journal } from "../ports/journal";
import type { LeaseLock } from "../ports/lease-lock";
import { lazySchema } from "../validate/lazy-schema";
import { parseInput } from "../validate/parse-input";
import {
  actorNameSchema,
  envNameSchema,
  freeTextSchema,
  recipePathSchema,
  shaSchema,
  simpleNameSchema,
} from "../validate/schemas";
import { runIdSchema } from "./run-id";
import type { ResumeOptions, RunOptions } from "./run-options";

type AnyFunction = (...args: never[]) => unknown;

const fn = (what: string) =>
  z.custom<AnyFunction>((v) => typeof v === "function", { message: `${what} must be a function` });

const hasMethods = (v: unknown, names: readonly string[]) =>
  typeof v === "object" &&
  v !== null &&
  names.every((n) => typeof (v as Record<string, unknown>)[n] === "function");

const journalSchema = lazySchema(() =>
  z.custom<Journal>((v) => hasMethods(v, ["append", "read", "list"]), {
    message: "expected a Journal (append, read, list)",
  }),
);

const lockSchema = lazySchema(() =>
  z.custom<LeaseLock>((v) => hasMethods(v, ["acquire", "renew", "release", "inspect", "breakStale"]), {
    message: "expected a LeaseLock (acquire, renew, release, inspect, breakStale)",
  }),
);

/** The options `runPlan` and `resumeRun` share (built by whichever schema is used first). */
const runOptionsShape = () => ({
  journal: journalSchema,
  lock: lockSchema,
  owner: freeTextSchema(200).optional(),
  signal: z.instanceof(AbortSignal, { message: "expected an AbortSignal" }).optional(),
  onEvent: fn("onEvent").optional(),
  acknowledgeDataLoss: z.boolean().optional(),
  lockTtlMs: z
    .number()
    .int()
    .min(10)
    .max(24 * 3600 * 1000)
    .optional(),
  now: fn("now").optional(),
});

/** `runPlan` options ({@link RunOptions}). */
export const runOptionsSchema = lazySchema(() =>
  z.object({ ...runOptionsShape(), runId: runIdSchema.optional() }),
);

/** `resumeRun` options ({@link ResumeOptions}). */
export const resumeOptionsSchema = lazySchema(() =>
  z.object({
    ...runOptionsShape(),
    rebuild: fn("rebuild"),
    mode: z.enum(["continue", "revert"]).optional(),
    breakStaleLock: z.boolean().optional(),
  }),
);

const stepSchema = lazySchema(() =>
  z.object({
    id: z.string().min(1).max(128),
    title: z.string().min(1),
    kind: z.enum(["check", "change", "verify"]),
    timeoutMs: z.number().int().positive().optional(),
    destructive: z.boolean().optional(),
    idempotent: z.boolean().optional(),
    describe: fn("describe"),
    run: fn("run"),
    undo: fn("undo").optional(),
    reconcile: fn("reconcile").optional(),
  }),
);

const planSchema = lazySchema(() =>
  z.object({
    intent: z.object({
      path: recipePathSchema,
      env: envNameSchema,
      from: simpleNameSchema.optional(),
      to: simpleNameSchema.optional(),
      sha: shaSchema.optional(),
      actor: actorNameSchema,
      reason: freeTextSchema(500),
    }),
    steps: z.array(stepSchema),
  }),
);

/**
 * Checks a plan at the runner's edge: shape, steps, an env usable as a lock key, an
 * intent the journal can hold — its path, colors, SHA and actor names, its reason one line
 * of text (the shared validator's rules, as the recipes apply them: a hand-built plan is
 * operator input too) — and createPlan's rules (unique ids, phase order, groups).
 */
export function checkPlan(plan: unknown, op: string): Result<RollbackPlan, DriverError> {
  const where = { driver: "runner", op };
  const shape = parseInput(planSchema, plan, where);
  if (shape.isErr()) return err(shape.error);
  const p = plan as RollbackPlan;
  try {
    JSON.stringify(p.intent);
  } catch {
    return err(invalidInput("runner", op, "intent is not JSON-serialisable: the journal must record it"));
  }
  return createPlan(p.intent, p.steps).map(() => p);
}

/** Checks `runPlan`'s plan and options before anything happens. */
export function checkRunInput(plan: unknown, options: unknown): Result<RollbackPlan, DriverError> {
  const o = parseInput(runOptionsSchema, options, { driver: "runner", op: "runPlan" });
  return o.isErr() ? err(o.error) : checkPlan(plan, "runPlan");
}

/** Checks `resumeRun`'s run id and options before anything happens. */
export function checkResumeInput(runId: unknown, options: unknown): Result<string, DriverError> {
  const o = parseInput(resumeOptionsSchema, options, { driver: "runner", op: "resumeRun" });
  if (o.isErr()) return err(o.error);
  return parseInput(runIdSchema, runId, { driver: "runner", op: "resumeRun" });
}

/** A rebuilt plan must target the recorded environment with the recorded step ids (and kinds). */
export function checkSameSteps(
  plan: RollbackPlan,
  recorded: {
    readonly intent: { readonly env: string };
    readonly steps: readonly { id: string; kind: string }[];
  },
): Result<RollbackPlan, DriverError> {
  const hint = "rebuild the plan with the same recipe and parameters as the original run";
  if (plan.intent.env !== recorded.intent.env) {
    return err(
      invalidInput(
        "runner",
        "resumeRun",
        `the rebuilt plan targets ${plan.intent.env}, the run was on ${recorded.intent.env}`,
        hint,
      ),
    );
  }
  const now = plan.steps.map((s) => `${s.id}:${s.kind}`).join(", ");
  const then = recorded.steps.map((s) => `${s.id}:${s.kind}`).join(", ");
  return now === then
    ? ok(plan)
    : err(
        invalidInput(
          "runner",
          "resumeRun",
          `the rebuilt plan's steps (${now}) are not the recorded ones (${then})`,
          hint,
        ),
      );
}
