import { errAsync, okAsync, type ResultAsync } from "neverthrow";
import {
  createPlan,
  type DriverError,
  driverError,
  type Journal,
  type JournalRecord,
  type PlanIntent,
  type RollbackPlan,
  type Step,
  stepError,
} from "../../src/index";

/** How one step of a test plan behaves. */
export interface StepSpec {
  readonly id: string;
  readonly kind: "check" | "change" | "verify";
  readonly group?: string;
  /** `run` fails (a change that fails does not take effect). */
  readonly fail?: boolean;
  /** `undo` fails. */
  readonly undoFails?: boolean;
  /** The step has no `undo`. */
  readonly noUndo?: boolean;
  readonly idempotent?: boolean;
  /** The step can tell whether it took effect. */
  readonly reconcile?: boolean;
  readonly destructive?: boolean;
  /** Fires the world's abort controller while this step runs. */
  readonly abortHere?: boolean;
}

/** The intent every test plan carries. */
export const INTENT: PlanIntent = {
  path: "custom",
  env: "staging",
  actor: "alice",
  reason: "test",
  params: { scenario: 1 },
};

/**
 * The "real system" test plans act on: it records every call (`check:k1:ok`,
 * `run:c1`, `undo:c1`, …), which changes are applied, and how often each change ran.
 * It outlives runner instances, so a crash and a resume act on the same world.
 */
export class World {
  readonly calls: string[] = [];
  readonly applied = new Set<string>();
  readonly runs = new Map<string, number>();
  /** Outputs `undo` got that were not what `run` returned (must stay empty). */
  readonly badUndoOutputs: string[] = [];
  readonly abort: AbortController = new AbortController();
  /** Index in `calls` at which a step fired the abort. */
  abortedAt: number | undefined;

  /** The plan for `specs`, acting on this world. */
  plan(specs: readonly StepSpec[], intent: PlanIntent = INTENT): RollbackPlan {
    return createPlan(
      intent,
      specs.map((s) => this.step(s)),
    )._unsafeUnwrap();
  }

  /** One step acting on this world. */
  step(spec: StepSpec): Step<{ token: string }> {
    const { id } = spec;
    const output = { token: `before-${id}` };
    const world = this;
    const step: Step<{ token: string }> = {
      id,
      title: `${spec.kind} ${id}`,
      kind: spec.kind,
      ...(spec.group ? { group: spec.group } : {}),
      ...(spec.idempotent ? { idempotent: true } : {}),
      ...(spec.destructive ? { destructive: true } : {}),
      describe: () => [{ kind: "note", text: `do ${id}` }],
      run(ctx) {
        if (spec.abortHere && !world.abort.signal.aborted) {
          world.abortedAt = world.calls.length;
          world.abort.abort();
        }
        if (spec.kind !== "change") {
          world.calls.push(`${spec.kind}:${id}:${spec.fail ? "fail" : "ok"}`);
          return spec.fail
            ? errAsync(stepError(id, "failed", `${id} found a problem`, { hint: `hint for ${id}` }))
            : okAsync(output);
        }
        world.runs.set(id, (world.runs.get(id) ?? 0) + 1);
        if (spec.fail) {
          world.calls.push(`fail:${id}`);
          return errAsync(
            stepError(id, "failed", `${id} broke`, { hint: `hint for ${id}`, cause: boom(id) }),
          );
        }
        world.calls.push(`run:${id}`);
        world.applied.add(id);
        ctx.log(`applied ${id}`);
        return okAsync(output);
      },
      ...(spec.kind === "change" && !spec.noUndo
        ? {
            undo(_ctx, out) {
              world.calls.push(`undo:${id}`);
              if (out?.token !== output.token) world.badUndoOutputs.push(`${id}: ${JSON.stringify(out)}`);
              if (spec.undoFails) return errAsync(stepError(id, "failed", `undo of ${id} broke`));
              world.applied.delete(id);
              return okAsync(undefined);
            },
          }
        : {}),
      ...(spec.reconcile
        ? {
            reconcile: () =>
              okAsync(world.applied.has(id) ? { done: true as const, output } : { done: false as const }),
          }
        : {}),
    };
    return step;
  }
}

function boom(id: string): DriverError {
  return driverError({
    driver: "fake",
    op: id,
    reason: "failed",
    message: `${id} broke`,
    cause: new Error("x"),
  });
}

/** A journal that "crashes" at record `failAt`: that append and every later one fail, like a killed process. */
export class CrashingJournal implements Journal {
  readonly name = "crashing";
  constructor(
    readonly inner: Journal,
    readonly failAt: number,
  ) {}

  append(runId: string, record: JournalRecord): ResultAsync<void, DriverError> {
    if (record.seq >= this.failAt) {
      return errAsync(
        driverError({ driver: "crashing", op: "append", reason: "unavailable", message: "killed" }),
      );
    }
    return this.inner.append(runId, record);
  }

  read(runId: string) {
    return this.inner.read(runId);
  }

  list() {
    return this.inner.list();
  }
}

/** A clock tests move by hand. */
export function manualClock(start = Date.parse("2026-11-26T05:33:00Z")) {
  let now = start;
  return { now: () => new Date(now), advance: (ms: number) => (now += ms) };
}
