import type { Result } from "neverthrow";
import * as z from "zod";
import type { DriverError } from "../errors/driver-error";
import { RUNBOOK } from "../presets/veza-runbook";
import { lazySchema } from "../validate/lazy-schema";
import { parseInput } from "../validate/parse-input";
import { shaSchema } from "../validate/schemas";
import { migrationWarnings } from "./migration-caveat";
import type { ColorFacts, Facts } from "./observe";
import { RECIPE_DRIVER } from "./recipe-input";

/** What is wrong, as it was reported. */
export type Symptom =
  /** The public probe (`/api/v1/health`) fails. */
  | "public-probe-failing"
  /** The app is broken in user reports (many users). */
  | "app-broken"
  /** One user reports a bug. */
  | "single-user-report"
  /** The new SHA is up but slow. */
  | "performance-regression"
  /** A cosmetic UI bug. */
  | "cosmetic-bug";

/** What the facts cannot say: who asks, what was reported, what the deploy job said. */
export interface DecideContext {
  readonly symptom: Symptom;
  /** The person asking is on call. */
  readonly onCall: boolean;
  /** The person asking was paged. */
  readonly paged: boolean;
  /**
   * Did the new color come up at all? `false` when the deploy job went red in Phase D
   * with HAProxy still on the old color. Inferred from `badSha` when absent.
   */
  readonly newColorCameUp?: boolean;
  /** The SHA of the bad deploy: when it is not live, the new color never came up (or was already reverted). */
  readonly badSha?: string;
  /** The SHA to roll back to (Path 2); default: the prior color's SHA from the history. */
  readonly targetSha?: string;
  /** The failed deploy included a destructive migration and the app crashes against the new schema. */
  readonly schemaPoisoned?: boolean;
  /** The Incus host itself is in a bad state. */
  readonly hostBroken?: boolean;
}

/** The symptoms {@link decide} knows, as a {@link Symptom} names them (a CLI's choices). */
export const SYMPTOMS = [
  "public-probe-failing",
  "app-broken",
  "single-user-report",
  "performance-regression",
  "cosmetic-bug",
] as const satisfies readonly Symptom[];

/** The zod schema of a {@link DecideContext}: a known symptom, booleans, full SHAs; nothing else. */
const decideContextSchema: z.ZodType<DecideContext> = lazySchema(() =>
  z
    .object({
      symptom: z.enum(SYMPTOMS),
      onCall: z.boolean(),
      paged: z.boolean(),
      newColorCameUp: z.boolean().optional(),
      badSha: shaSchema.optional(),
      targetSha: shaSchema.optional(),
      schemaPoisoned: z.boolean().optional(),
      hostBroken: z.boolean().optional(),
    })
    .strict(),
);

/** The recipe a decision points to. */
export type DecidedRecipe =
  | "fleet-flip"
  | "fast-flip"
  | "redeploy"
  | "rebuild-push"
  | "inverse-sql"
  | "restore-snapshot";

/** Which rule of the runbook decided. */
export type DecisionRule =
  | "converge-fleet"
  | "never-came-up"
  | "not-on-call"
  | "single-user-report"
  | "performance-regression"
  | "cosmetic-bug"
  | "host-broken"
  | "schema-poisoned"
  | "path-1"
  | "path-2"
  | "path-3-purged";

/** What {@link decide} says: act or not, which path, why, and the runbook's words for it. */
export interface Decision {
  readonly action: "rollback" | "none" | "fix-forward";
  /** The runbook path, when rolling back. */
  readonly path?: 1 | 2 | 3;
  /** The recipe to run, when rolling back. */
  readonly recipe?: DecidedRecipe;
  /** The color and/or SHA to roll back to. */
  readonly target?: { readonly color?: string; readonly sha?: string };
  readonly rule: DecisionRule;
  /** Why, from the facts. */
  readonly reason: string;
  /** The runbook's own words for this branch. */
  readonly runbook: string;
  /** Caveats to read before acting (e.g. the migration caveat). */
  readonly warnings: readonly string[];
}

const short = (sha: string | null | undefined) => (sha ? sha.slice(0, 12) : "?");

/** A color's containers that Incus reports as `Error` on a cluster member (the member does not answer), by member. */
function membersDown(color: ColorFacts): { member: string; names: string[] }[] {
  const byMember = new Map<string, string[]>();
  for (const c of color.containers) {
    if (c.running || c.status !== "Error" || c.location === undefined) continue;
    byMember.set(c.location, [...(byMember.get(c.location) ?? []), c.name]);
  }
  return [...byMember].map(([member, names]) => ({ member, names }));
}

function caveats(facts: Facts): string[] {
  return migrationWarnings(facts.migration).map((w) => w.message);
}

function newColorCameUp(facts: Facts, context: DecideContext): boolean {
  if (context.newColorCameUp !== undefined) return context.newColorCameUp;
  if (context.badSha === undefined) return true;
  return facts.liveSha === context.badSha;
}

const noRollback = (
  rule: DecisionRule,
  reason: string,
  runbook: string,
  action: "none" | "fix-forward" = "none",
): Decision => ({
  action,
  rule,
  reason,
  runbook,
  warnings: [],
});

/**
 * A fleet whose edges disagree on the live color, or that a degraded flip left marked,
 * comes before every other path: converge it with a fleet flip to the color the marker
 * (or most edges) name, then clear the marker.
 */
function convergeFirst(facts: Facts): Decision | undefined {
  const fleet = facts.fleet;
  if (!fleet || (fleet.split === null && fleet.degraded === null)) return undefined;
  const split = fleet.split ?? {};
  const most = Object.entries(split).sort((a, b) => b[1].length - a[1].length)[0]?.[0];
  const color = fleet.degraded?.color ?? most ?? facts.activeColor;
  const where = Object.entries(split)
    .map(([c, edges]) => `${edges.join(", ")} on ${c}`)
    .join("; ");
  const reason = fleet.split
    ? `the fleet is split (${where}): converge every edge on ${color} before any other path`
    : `the fleet is marked degraded by run ${fleet.degraded?.runId} though its edges agree now: clear the marker (clearDegraded)`;
  return {
    action: "rollback",
    path: 1,
    recipe: "fleet-flip",
    target: { color },
    rule: "converge-fleet",
    reason,
    runbook: `fleetFlip({ target: "${color}" }) converges every edge (all-or-nothing), then clearDegraded removes the marker.`,
    warnings: fleet.degraded
      ? [
          `left behind by run ${fleet.degraded.runId}: ${fleet.degraded.lagging.map((l) => `${l.edge} (${l.why})`).join("; ")}`,
        ]
      : [],
  };
}

/**
 * Checks the context, then walks the runbook's decision flowchart (see `decideChecked`):
 * `invalid_input` naming the field for a symptom it does not know, a flag that is not a
 * boolean or a SHA that is not 40 lower-case hex — a decision only ever names a SHA that
 * is a SHA. Pure: reads only its arguments.
 */
export function decide(facts: Facts, context: DecideContext): Result<Decision, DriverError> {
  return parseInput(decideContextSchema, context, {
    driver: RECIPE_DRIVER,
    op: "decide",
    hint: "fix the named field of the decide context (resolve a short SHA against the history first)",
  }).map((checked) => decideChecked(facts, checked));
}

/**
 * Walks the runbook's decision flowchart and its "When NOT to rollback" rules, in this
 * order: a split or degraded fleet (converge it first); did the new color come up at all (no → Phase F already reverted, no action);
 * not on call and not paged (no action); a single user's report (triage first);
 * a performance regression or a cosmetic bug (fix forward); then the path: a broken
 * host (Path 3, snapshot), a poisoned schema (Path 3, inverse SQL), the prior color's
 * containers all RUNNING (Path 1), the target SHA's artifacts in the registry (Path 2),
 * else Path 3 (rebuild and push).
 */
function decideChecked(facts: Facts, context: DecideContext): Decision {
  const fleet = convergeFirst(facts);
  if (fleet) return fleet;
  if (!newColorCameUp(facts, context))
    return noRollback(
      "never-came-up",
      `the bad deploy${context.badSha ? ` (${short(context.badSha)})` : ""} is not live: HAProxy is on ${facts.activeColor}${facts.liveSha ? ` (${short(facts.liveSha)})` : ""}`,
      RUNBOOK.neverCameUp,
    );
  if (!context.onCall && !context.paged)
    return noRollback("not-on-call", "you are not on call and were not paged", RUNBOOK.notOnCall);
  if (context.symptom === "single-user-report")
    return noRollback(
      "single-user-report",
      "a single user reported the bug: triage it first",
      RUNBOOK.singleUser,
    );
  if (context.symptom === "performance-regression")
    return noRollback(
      "performance-regression",
      "the new SHA is up but slow: scale, then fix forward",
      RUNBOOK.performance,
      "fix-forward",
    );
  if (context.symptom === "cosmetic-bug")
    return noRollback(
      "cosmetic-bug",
      "a cosmetic bug: hot-fix and ship it as a normal commit",
      RUNBOOK.cosmetic,
      "fix-forward",
    );

  const healthNote =
    context.symptom === "public-probe-failing" && facts.publicHealth?.healthy
      ? [`the public probe ${facts.publicHealth.url} passes right now: confirm the failure before acting`]
      : [];
  const withCaveats = [...caveats(facts), ...healthNote];
  if (context.hostBroken)
    return {
      action: "rollback",
      path: 3,
      recipe: "restore-snapshot",
      rule: "host-broken",
      reason:
        "the Incus host is in a bad state: restore the data containers' pre-deploy snapshots (loses data)",
      runbook: RUNBOOK.path3Host,
      warnings: healthNote,
    };
  if (context.schemaPoisoned)
    return {
      action: "rollback",
      path: 3,
      recipe: "inverse-sql",
      rule: "schema-poisoned",
      reason: "a destructive migration broke the schema: apply its inverse SQL, then run Path 2",
      runbook: RUNBOOK.path3Schema,
      warnings: withCaveats,
    };

  const priorColor = facts.priorColor ?? Object.keys(facts.colors).find((c) => c !== facts.activeColor);
  const prior = priorColor === undefined ? undefined : facts.colors[priorColor];
  const targetSha = context.targetSha ?? facts.priorSha ?? undefined;
  const wantsPriorRelease = context.targetSha === undefined || context.targetSha === facts.priorSha;
  if (prior && priorColor !== facts.activeColor && prior.allRunning && wantsPriorRelease) {
    const stale = prior.containers.filter((c) => c.release !== null && targetSha && c.release !== targetSha);
    return {
      action: "rollback",
      path: 1,
      recipe: "fast-flip",
      target: { color: priorColor, ...(targetSha ? { sha: targetSha } : {}) },
      rule: "path-1",
      reason: `the prior color ${priorColor} is alive (all ${prior.containers.length} containers RUNNING): flip back to it`,
      runbook: RUNBOOK.path1,
      warnings: [
        ...stale.map(
          (c) => `${c.name} runs ${short(c.release)}, not the prior release ${short(targetSha)}: check it`,
        ),
        ...healthNote,
      ],
    };
  }

  const down = prior ? membersDown(prior) : [];
  const why = prior
    ? prior.anyMissing
      ? `the prior color ${priorColor}'s containers are gone`
      : `not every ${priorColor} container is RUNNING${down.length > 0 ? ` (cluster member ${down.map((d) => d.member).join(", ")} does not answer)` : ""}`
    : "there is no prior color";
  const because = wantsPriorRelease ? why : `the wanted SHA ${short(targetSha)} is not the prior color's`;
  withCaveats.unshift(
    ...down.map(
      (d) =>
        `${d.names.join(", ")} on cluster member ${d.member} answer Error: the member is probably down (incus cluster list). Path 1 to ${priorColor} needs it back, and Path 2 cannot replace containers on a member that is down: bring ${d.member} back, or evacuate it (incus cluster evacuate) first`,
    ),
  );
  if (!targetSha)
    return {
      action: "rollback",
      path: 2,
      recipe: "redeploy",
      rule: "path-2",
      reason: `${because}, and the history names no SHA to roll back to: pick one (git log) and redeploy it`,
      runbook: `${RUNBOOK.path2} ${RUNBOOK.path2When}`,
      warnings: withCaveats,
    };
  const presence = facts.artifacts?.[targetSha];
  const missing = presence ? Object.entries(presence).filter(([, present]) => !present) : [];
  if (missing.length > 0)
    return {
      action: "rollback",
      path: 3,
      recipe: "rebuild-push",
      target: { sha: targetSha },
      rule: "path-3-purged",
      reason: `${because}, and the registry no longer holds ${missing.map(([c]) => c).join(", ")} for ${short(targetSha)}: rebuild and push, then run Path 2`,
      runbook: `${RUNBOOK.path3Purged} ${RUNBOOK.path3Rebuild}`,
      warnings: withCaveats,
    };
  return {
    action: "rollback",
    path: 2,
    recipe: "redeploy",
    target: { sha: targetSha },
    rule: "path-2",
    reason: `${because}: redeploy ${short(targetSha)} from the registry`,
    runbook: `${RUNBOOK.path2} ${RUNBOOK.path2When}`,
    warnings: [
      ...(presence ? [] : [`artifact presence for ${short(targetSha)} is unknown: redeploy checks it first`]),
      ...withCaveats,
    ],
  };
}
