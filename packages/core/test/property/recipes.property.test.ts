import { writeFileSync } from "node:fs";
import type { DriverError, RollbackPlan } from "@backflip/core";
import {
  type ApplyInverseSqlInput,
  applyInverseSql,
  type CleanupColorInput,
  cleanupColor,
  type DecideContext,
  decide,
  type FastFlipInput,
  type FleetFlipInput,
  fastFlip,
  fleetFlip,
  type ObserveOptions,
  observe,
  type PostIncidentInput,
  planRestoreSnapshot,
  postIncident,
  type RebuildAndPushInput,
  type RedeployInput,
  type RedeployViaPipelineInput,
  type RestoreSnapshotInput,
  rebuildAndPush,
  redeploy,
  redeployViaPipeline,
  restoreSnapshot,
} from "@backflip/core/recipes";
import { createEdgeFleet, createFleet, type Fleet, fleetSha, snapshotFleet } from "@backflip/driver-mock";
import fc from "fast-check";
import type { ResultAsync } from "neverthrow";
import { describe, expect, it } from "vitest";
import { hasUnsafeCharacter, hostileExamples, hostileFor, propertyParams } from "./hostile-strings";
import { useSandbox } from "./sandbox";
import {
  expectInert,
  type Field,
  type Fields,
  flattenFields,
  fuzzed,
  itFor,
  type OpenFindings,
  treeSnapshot,
  withField,
} from "./surface-fields";

/**
 * Every name-, path- and text-like field of every recipe input on the simulated fleet:
 * each hostile value is refused with `invalid_input` before the world is read or changed,
 * or accepted only when inert for its kind (and then carried unchanged into the intent).
 */

const box = useSandbox();
const RUNS = 6;
const SHA = fleetSha("blue");
const who = { actor: "alice", reason: "green 500s since the deploy" };

/** One recipe as the property sees it: its fields, a valid input, and the call. */
interface Entry<I> {
  readonly name: string;
  readonly fields: Fields<I>;
  readonly input: (f: Fleet) => I;
  readonly call: (f: Fleet, input: I) => ResultAsync<unknown, DriverError>;
}

const entry = <I>(e: Entry<I>) => e as unknown as Entry<Record<string, unknown>>;

const PROBE = "structure" as const;

/** Fields another helper's open fix of issue 17 covers (see {@link OpenFindings}). */
const OPEN: OpenFindings = {};

const ENTRIES = [
  entry<FastFlipInput>({
    name: "fastFlip",
    fields: { actor: "name", reason: "text", target: "name", probe: PROBE },
    input: () => ({ ...who, target: "blue" }),
    call: (f, i) => fastFlip(f.topology, f.drivers, i),
  }),
  entry<RedeployInput>({
    name: "redeploy",
    fields: { actor: "name", reason: "text", sha: "name", expectedSchemaVersion: "number", probe: PROBE },
    input: () => ({ ...who, sha: SHA, expectedSchemaVersion: 1 }),
    call: (f, i) => redeploy(f.topology, f.drivers, i),
  }),
  entry<RedeployViaPipelineInput>({
    name: "redeployViaPipeline",
    fields: {
      actor: "name",
      reason: "text",
      sha: "name",
      expectedSchemaVersion: "number",
      follow: { deadlineMs: "number", pollMs: "number" },
      probe: PROBE,
    },
    input: () => ({
      ...who,
      sha: SHA,
      expectedSchemaVersion: 1,
      follow: { deadlineMs: 60_000, pollMs: 100 },
    }),
    call: (f, i) => redeployViaPipeline(f.topology, f.drivers, i),
  }),
  entry<RebuildAndPushInput>({
    name: "rebuildAndPush",
    fields: {
      actor: "name",
      reason: "text",
      sha: "name",
      artifacts: { "0.component": "name", "0.path": "path" },
    },
    input: () => ({ ...who, sha: SHA, artifacts: [{ component: "backend", path: artifactFile() }] }),
    call: (f, i) => rebuildAndPush(f.topology, f.drivers, i),
  }),
  entry<RestoreSnapshotInput>({
    name: "restoreSnapshot",
    fields: { actor: "name", reason: "text", container: "name", snapshot: "name", sha: "name" },
    input: (f) => ({ ...who, container: f.topology.database?.container ?? "", sha: SHA }),
    call: (f, i) => restoreSnapshot(f.topology, f.drivers, i),
  }),
  entry<RestoreSnapshotInput>({
    name: "planRestoreSnapshot",
    fields: { actor: "name", reason: "text", container: "name", snapshot: "name", sha: "name" },
    input: (f) => ({ ...who, container: f.topology.database?.container ?? "", sha: SHA }),
    call: (f, i) => planRestoreSnapshot(f.topology, f.drivers, i),
  }),
  entry<ApplyInverseSqlInput>({
    name: "applyInverseSql",
    fields: {
      actor: "name",
      reason: "text",
      sql: "payload",
      sqlFile: "path",
      expectedVersionAfter: "number",
      statementTimeoutMs: "number",
      lockTimeoutMs: "number",
    },
    input: () => ({ ...who, sqlFile: sqlFile(), expectedVersionAfter: 1 }),
    call: (f, i) => applyInverseSql(f.topology, f.drivers, i),
  }),
  entry<CleanupColorInput>({
    name: "cleanupColor",
    fields: { actor: "name", reason: "text", color: "name", via: "enum", followDeadlineMs: "number" },
    input: () => ({ ...who, color: "blue" }),
    call: (f, i) => cleanupColor(f.topology, f.drivers, i),
  }),
  entry<ObserveOptions>({
    name: "observe",
    fields: {
      probeAttempts: "number",
      probeDeadlineMs: "number",
      shas: { "0": "name" },
      signal: PROBE,
      now: PROBE,
    },
    input: () => ({ shas: [SHA] }),
    call: (f, i) => observe(f.topology, f.drivers, i),
  }),
];

function artifactFile(): string {
  const path = box.path(`veza-backend-${SHA}.tar.zst`);
  writeFileSync(path, "rebuilt backend\n");
  return path;
}

function sqlFile(): string {
  const path = box.path("inverse.sql");
  writeFileSync(path, "ALTER TABLE t DROP COLUMN c;\n", { mode: 0o600 });
  return path;
}

/** A fresh fleet whose active color is green, so blue is the prior one. */
const newFleet = () => createFleet();

/** The text of the value as it must reach the intent when accepted. */
function carried(plan: unknown, field: Field, value: string): string | undefined {
  const intent = (plan as RollbackPlan | undefined)?.intent;
  if (!intent) return undefined;
  if (field.path === "actor" && intent.actor !== value)
    return `intent.actor is ${JSON.stringify(intent.actor)}`;
  if (field.path === "reason" && intent.reason !== value)
    return `intent.reason is ${JSON.stringify(intent.reason)}`;
  return undefined;
}

describe.each(ENTRIES)("$name: every field refuses a hostile value or carries it inert", (e) => {
  it("declares its fields (a new input field fails typecheck until classified)", () => {
    expect(flattenFields(e.fields).map((f) => f.path).length).toBeGreaterThan(0);
  });
  for (const field of fuzzed(flattenFields(e.fields)))
    itFor(OPEN, `${e.name}.${field.path}`)(`${field.path} (${field.spec})`, async () => {
      const f = newFleet();
      const base = e.input(f);
      const sample = String(
        field.path.split(".").reduce<unknown>((v, k) => (v as Record<string, unknown>)?.[k], base) ?? "x",
      );
      await fc.assert(
        fc.asyncProperty(hostileFor(sample, box), async (value) => {
          const before = JSON.stringify(snapshotFleet(f));
          const result = await e.call(f, withField(base, field.path, value));
          const after = JSON.stringify(snapshotFleet(f));
          expect(after, "planning changed the simulated world").toBe(before);
          const refused = result.isErr() && result.error.reason === "invalid_input";
          expectInert(box, field, value, {
            refused,
            detail: result.isErr() ? `${result.error.reason}: ${result.error.message}` : "planned",
          });
          if (result.isOk()) expect(carried(result.value, field, value)).toBeUndefined();
        }),
        propertyParams(RUNS, hostileExamples(box)),
      );
    });
});

/** fleetFlip on a fleet of three simulated edges: planning reads every edge and changes none. */
describe("fleetFlip: every field refuses a hostile value or carries it inert", () => {
  const fields: Fields<FleetFlipInput> = {
    actor: "name",
    reason: "text",
    target: "name",
    probe: PROBE,
    allowDegraded: "structure",
  };
  for (const field of fuzzed(flattenFields(fields)))
    itFor(OPEN, `fleetFlip.${field.path}`)(`${field.path} (${field.spec})`, async () => {
      const ef = createEdgeFleet({ topology: newFleet().topology });
      const base: FleetFlipInput = { ...who, target: "blue" };
      const edges = () => JSON.stringify(Object.values(ef.edges).map((e) => snapshotFleet(e)));
      await fc.assert(
        fc.asyncProperty(hostileFor(String(base[field.path as "actor"] ?? "x"), box), async (value) => {
          const before = edges();
          const result = await fleetFlip(ef.topology, ef.drivers, withField(base, field.path, value));
          expect(edges(), "planning changed an edge").toBe(before);
          expectInert(box, field, value, {
            refused: result.isErr() && result.error.reason === "invalid_input",
            detail: result.isErr() ? `${result.error.reason}: ${result.error.message}` : "planned",
          });
          if (result.isOk()) expect(carried(result.value, field, value)).toBeUndefined();
        }),
        propertyParams(RUNS, hostileExamples(box)),
      );
    });
});

/** decide() reads only its arguments: a hostile context value is refused (never echoed) or inert. */
describe("decide: every context field", () => {
  const fields: Fields<DecideContext> = {
    symptom: "enum",
    onCall: "boolean",
    paged: "boolean",
    newColorCameUp: "boolean",
    badSha: "name",
    targetSha: "name",
    schemaPoisoned: "boolean",
    hostBroken: "boolean",
  };
  const context: DecideContext = { symptom: "public-probe-failing", onCall: true, paged: true, badSha: SHA };
  for (const field of fuzzed(flattenFields(fields)))
    itFor(OPEN, `decide.${field.path}`)(`${field.path} (${field.spec})`, async () => {
      const f = newFleet();
      const facts = (await observe(f.topology, f.drivers))._unsafeUnwrap();
      await fc.assert(
        fc.asyncProperty(hostileFor(SHA, box), async (value) => {
          const decided = decide(facts, withField(context, field.path, value));
          expectInert(box, field, value, {
            refused: decided.isErr() && decided.error.reason === "invalid_input",
            detail: decided.isErr() ? decided.error.message : JSON.stringify(decided.value).slice(0, 200),
          });
          if (decided.isErr())
            expect(decided.error.message).not.toContain(value.length > 3 ? value : "\u0000none");
        }),
        propertyParams(RUNS, hostileExamples(box)),
      );
    });
});

/**
 * postIncident: operator text (a `payload`: any text) must reach the Markdown escaped — no
 * raw control or bidi character, no HTML, no line of its own; `path` is a file the caller names.
 */
describe("postIncident: every input field", () => {
  const fields: Fields<PostIncidentInput> = {
    events: "structure",
    trigger: "payload",
    whyFailed: "payload",
    decision: "structure",
    alerts: "structure",
    alertWaitMs: "number",
    host: "structure",
    topology: "structure",
    path: "file",
  };
  for (const field of fuzzed(flattenFields(fields)))
    itFor(OPEN, `postIncident.${field.path}`)(`${field.path} (${field.spec})`, async () => {
      const f = newFleet();
      const plan = (await fastFlip(f.topology, f.drivers, { ...who, target: "blue" }))._unsafeUnwrap();
      const events: PostIncidentInput["events"][number][] = [];
      const { runPlan } = await import("@backflip/core");
      await runPlan(plan, {
        journal: f.journal,
        lock: f.lock,
        owner: "t",
        now: () => f.clock.now(),
        onEvent: (ev) => events.push(ev),
      });
      const base: PostIncidentInput = {
        events,
        trigger: "public probe failing",
        whyFailed: "a bad migration",
        alertWaitMs: 0,
      };
      const sample = field.path === "path" ? "POSTMORTEMS.md" : "a bad migration";
      const neutralValue = field.path === "path" ? box.path("pm.md") : field.spec === "number" ? 0 : "x";
      const neutral = await postIncident(withField(base, field.path, neutralValue));
      const baseLines = neutral._unsafeUnwrap().markdown.split("\n").length;
      await fc.assert(
        fc.asyncProperty(hostileFor(sample, box), async (value) => {
          const files = treeSnapshot(box.root);
          const result = await postIncident(withField(base, field.path, value));
          const refused = result.isErr() && result.error.reason === "invalid_input";
          if (refused) expect(treeSnapshot(box.root), "a refusal changed files").toBe(files);
          expectInert(box, field, value, {
            refused,
            detail: result.isErr() ? `${result.error.reason}: ${result.error.message}` : "rendered",
          });
          if (result.isOk()) {
            const raw = result.value.markdown.split("\n").filter(hasUnsafeCharacter);
            expect(raw, "markdown lines with raw control or bidi characters").toEqual([]);
            if (/[<>]/.test(value)) expect(result.value.markdown).not.toContain(value);
            // text carried into the Markdown adds no line of its own
            if (value.trim() !== "")
              expect(result.value.markdown.split("\n").length, "the postmortem's line count").toBe(baseLines);
          }
        }),
        propertyParams(RUNS, hostileExamples(box)),
      );
    });
});
