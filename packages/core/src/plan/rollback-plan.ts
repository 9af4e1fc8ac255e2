import { err, ok, type Result } from "neverthrow";
import type { DriverError } from "../errors/driver-error";
import { invalidInput } from "../errors/invalid-input";
import { type Action, renderAction } from "./action";
import type { PlanIntent } from "./plan-intent";
import type { Step, StepKind } from "./step";

/** One step of a dry run. */
export interface StepDescription {
  readonly id: string;
  readonly title: string;
  readonly kind: StepKind;
  readonly group?: string;
  readonly destructive: boolean;
  readonly idempotent: boolean;
  readonly undoable: boolean;
  readonly timeoutMs?: number;
  /** The exact commands, requests and file changes the step makes, as data. */
  readonly actions: readonly Action[];
  /** The same, each rendered as one line to paste into a terminal ({@link renderAction}). */
  readonly lines: readonly string[];
}

/** A plan's dry run as JSON. */
export interface PlanDescription {
  readonly intent: PlanIntent;
  readonly steps: readonly StepDescription[];
}

/** An immutable list of steps plus its intent: checks, then changes, then verifications. */
export interface RollbackPlan {
  readonly intent: PlanIntent;
  readonly steps: readonly Step[];
  /** The dry run as JSON: every step with the exact actions it would make, and their rendered lines. */
  describe(): PlanDescription;
  /** The dry run for a person, one numbered line per step with its rendered actions indented (`$ ` before a command). */
  render(): string;
}

const PHASE: Record<StepKind, number> = { check: 0, change: 1, verify: 2 };

function describeStep(step: Step): StepDescription {
  const actions = [...step.describe()];
  return {
    id: step.id,
    title: step.title,
    kind: step.kind,
    ...(step.group === undefined ? {} : { group: step.group }),
    destructive: step.destructive === true,
    idempotent: step.idempotent === true,
    undoable: typeof step.undo === "function",
    ...(step.timeoutMs === undefined ? {} : { timeoutMs: step.timeoutMs }),
    actions,
    lines: actions.map(renderAction),
  };
}

function renderPlan(description: PlanDescription): string {
  const { intent } = description;
  const move = intent.from || intent.to ? ` ${intent.from ?? "?"} → ${intent.to ?? "?"}` : "";
  const sha = intent.sha ? ` sha ${intent.sha.slice(0, 12)}` : "";
  const lines = [`Plan ${intent.path} on ${intent.env}${move}${sha} — by ${intent.actor}: ${intent.reason}`];
  description.steps.forEach((s, i) => {
    const flags = [s.kind, s.destructive ? "DESTRUCTIVE" : "", s.undoable ? "undoable" : ""].filter(Boolean);
    lines.push(`${String(i + 1).padStart(2)}. ${s.title} [${flags.join(", ")}]`);
    for (const line of s.lines) lines.push(`      ${line.startsWith("#") ? "" : "$ "}${line}`);
  });
  return lines.join("\n");
}

/**
 * Builds an immutable plan. `invalid_input` when step ids repeat, a step runs in the
 * wrong phase (checks, then changes, then verifications), or a check group is split.
 */
export function createPlan(intent: PlanIntent, steps: readonly Step[]): Result<RollbackPlan, DriverError> {
  const bad = (message: string) => err(invalidInput("core", "createPlan", message));
  const ids = new Set<string>();
  let phase = 0;
  const closedGroups = new Set<string>();
  let openGroup: string | undefined;
  for (const step of steps) {
    if (!step.id || ids.has(step.id)) return bad(`step id "${step.id}" is empty or repeated`);
    ids.add(step.id);
    const p = PHASE[step.kind];
    if (p === undefined) return bad(`step "${step.id}" has unknown kind "${String(step.kind)}"`);
    if (p < phase)
      return bad(
        `step "${step.id}" (${step.kind}) comes after a later phase: checks, then changes, then verifications`,
      );
    phase = p;
    if (step.group !== openGroup) {
      if (openGroup !== undefined) closedGroups.add(openGroup);
      if (step.group !== undefined && closedGroups.has(step.group))
        return bad(`group "${step.group}" is split`);
      openGroup = step.group;
    }
  }
  const frozen = Object.freeze([...steps]);
  const description: PlanDescription = Object.freeze({
    intent: Object.freeze({ ...intent }),
    steps: frozen.map(describeStep),
  });
  return ok(
    Object.freeze({
      intent: description.intent,
      steps: frozen,
      describe: () => description,
      render: () => renderPlan(description),
    }),
  );
}
