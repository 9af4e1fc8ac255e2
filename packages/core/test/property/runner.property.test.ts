import { join } from "node:path";
import {
  createPlan,
  FileJournal,
  FileLeaseLock,
  type PlanIntent,
  parseTopology,
  type ResumeOptions,
  type RollbackPlan,
  type RunOptions,
  resumeRun,
  runPlan,
  type Topology,
  topologySchema,
} from "@backflip/core";
import { fastFlip, planForIntent, vezaTopology } from "@backflip/core/recipes";
import { createFleet, type Fleet, snapshotFleet } from "@backflip/driver-mock";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { hostileExamples, hostileFor, propertyParams } from "./hostile-strings";
import { useSandbox } from "./sandbox";
import {
  expectInert,
  type Field,
  type FieldSpec,
  type Fields,
  flattenFields,
  fuzzed,
  itFor,
  type OpenFindings,
  treeSnapshot,
  withField,
} from "./surface-fields";

/**
 * The topology, plan intents (createPlan, planForIntent on resume) and the runner's own
 * options (runPlan, resumeRun) on the simulated fleet, with the file journal and lock in
 * the sandbox: each hostile value is refused with `invalid_input` before the world or a
 * file outside the state directory changes, or accepted only when inert for its kind.
 */

const box = useSandbox();
const RUNS = 5;
const who = { actor: "alice", reason: "green 500s since the deploy" };

/** Fields another helper's open fix of issue 17 covers (see {@link OpenFindings}). */
const OPEN: OpenFindings = {};

/** What each topology field holds, by its path in the topology schema. */
const TOPOLOGY_KINDS: Readonly<Record<string, FieldSpec>> = {
  env: "name",
  "colors.0": "name",
  "colors.1": "name",
  "traffic.stateFile": "path",
  "traffic.historyFile": "path",
  "traffic.historyLimit": "number",
  "traffic.edges.0": "name",
  "containers.components.0": "name",
  "containers.pattern": "name-pattern",
  "containers.healthPath": "url-path",
  "containers.app.releaseFile": "path",
  "containers.app.stageDir": "path",
  "containers.app.localHealthUrl": "url",
  publicHealthUrl: "url",
  "database.container": "name",
  "database.name": "name",
  "database.user": "name",
  "snapshots.datasetPattern": "segments",
  "snapshots.prefix": "name",
  "registry.owner": "name",
  "registry.packagePattern": "name-pattern",
  "registry.filePattern": "name-pattern",
  "registry.retention": "number",
  "pipeline.rollback": "name",
  "pipeline.cleanup": "name",
  "pipeline.ref": "segments",
};

interface ZodNode {
  readonly _zod: { readonly def: Record<string, unknown> & { readonly type: string } };
}

/** The leaf fields of a zod schema as dotted paths (array elements as `.0`), read from its definition. */
function schemaLeaves(schema: ZodNode, path = ""): string[] {
  const def = schema._zod.def;
  const at = (key: string | number) => (path ? `${path}.${key}` : String(key));
  switch (def.type) {
    case "object":
      return Object.entries(def.shape as Record<string, ZodNode>).flatMap(([k, v]) => schemaLeaves(v, at(k)));
    case "tuple":
      return (def.items as ZodNode[]).flatMap((v, i) => schemaLeaves(v, at(i)));
    case "array":
      return schemaLeaves(def.element as ZodNode, at(0));
    case "pipe":
      return schemaLeaves(def.in as ZodNode, path);
    default:
      return def.innerType ? schemaLeaves(def.innerType as ZodNode, path) : [path];
  }
}

const valueAt = (obj: unknown, path: string) =>
  path.split(".").reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], obj);

describe("topology: every field of the schema", () => {
  it("classifies every leaf of topologySchema (a new field fails here until classified)", () => {
    expect(schemaLeaves(topologySchema as unknown as ZodNode).sort()).toEqual(
      Object.keys(TOPOLOGY_KINDS).sort(),
    );
  });
  const fields = fuzzed(Object.entries(TOPOLOGY_KINDS).map(([path, spec]) => ({ path, spec })));
  for (const field of fields)
    itFor(OPEN, `topology.${field.path}`)(`${field.path} (${field.spec})`, async () => {
      const f = createFleet();
      const sample = String(valueAt(f.topology, field.path) ?? "x");
      await fc.assert(
        fc.asyncProperty(hostileFor(sample, box), async (value) => {
          const topology = withField(f.topology, field.path, value) as Topology;
          const parsed = parseTopology(topology);
          const before = JSON.stringify(snapshotFleet(f));
          const planned = await fastFlip(topology, f.drivers, { ...who, target: "blue" });
          expect(JSON.stringify(snapshotFleet(f)), "planning changed the simulated world").toBe(before);
          if (parsed.isErr()) expect(planned.isErr() && planned.error.reason).toBe("invalid_input");
          expectInert(box, field, value, {
            refused: parsed.isErr() && parsed.error.reason === "invalid_input",
            detail: "parseTopology accepted it",
          });
        }),
        propertyParams(RUNS, hostileExamples(box)),
      );
    });
});

describe("vezaTopology: the preset's env", () => {
  itFor(OPEN, "topology.env")("env (name)", async () => {
    await fc.assert(
      fc.asyncProperty(hostileFor("staging", box), async (value) => {
        const parsed = parseTopology(vezaTopology(value));
        expectInert(box, { path: "env", spec: "name" }, value, {
          refused: parsed.isErr() && parsed.error.reason === "invalid_input",
          detail: "parseTopology accepted it",
        });
      }),
      propertyParams(RUNS, hostileExamples(box)),
    );
  });
});

const INTENT_FIELDS: Fields<PlanIntent> = {
  path: "name",
  env: "name",
  from: "name",
  to: "name",
  sha: "name",
  actor: "name",
  reason: "text",
  params: "structure",
};

/** A fresh fleet and its Path 1 plan to blue. */
async function flipPlan(): Promise<{ f: Fleet; plan: RollbackPlan }> {
  const f = createFleet();
  const plan = (await fastFlip(f.topology, f.drivers, { ...who, target: "blue" }))._unsafeUnwrap();
  return { f, plan };
}

const stateDir = () => box.path("state");
const fileStores = () => ({
  journal: new FileJournal({ dir: join(stateDir(), "journal") }),
  lock: new FileLeaseLock({ dir: join(stateDir(), "locks") }),
});

/** Runs `act`, then checks the sandbox outside the state directory and, on refusal, the world. */
async function outsideUnchanged(f: Fleet, act: () => Promise<{ refused: boolean; detail: string }>) {
  const files = treeSnapshot(box.root, [stateDir()]);
  const world = JSON.stringify(snapshotFleet(f));
  const outcome = await act();
  expect(treeSnapshot(box.root, [stateDir()]), "files outside the state directory changed").toBe(files);
  if (outcome.refused)
    expect(JSON.stringify(snapshotFleet(f)), "a refused run changed the world").toBe(world);
  return outcome;
}

describe("createPlan + runPlan: every intent field reaching the runner (file journal and lock)", () => {
  for (const field of fuzzed(flattenFields(INTENT_FIELDS)))
    itFor(OPEN, `runPlan.intent.${field.path}`)(`intent.${field.path} (${field.spec})`, async () => {
      await fc.assert(
        fc.asyncProperty(hostileFor("blue", box), async (value) => {
          const { f, plan } = await flipPlan();
          const outcome = await outsideUnchanged(f, async () => {
            const made = createPlan(withField(plan.intent, field.path, value), plan.steps);
            if (made.isErr())
              return { refused: made.error.reason === "invalid_input", detail: made.error.message };
            const ran = await runPlan(made.value, { ...fileStores(), owner: "t", now: () => f.clock.now() });
            return ran.isErr()
              ? {
                  refused: ran.error.kind === "invalid_input",
                  detail: `${ran.error.kind}: ${ran.error.message}`,
                }
              : { refused: false, detail: "ran" };
          });
          expectInert(box, field, value, outcome);
        }),
        propertyParams(RUNS, hostileExamples(box)),
      );
    });
});

const RUN_FIELDS: Fields<RunOptions> = {
  journal: "structure",
  lock: "structure",
  owner: "text",
  runId: "name",
  signal: "structure",
  onEvent: "structure",
  acknowledgeDataLoss: "boolean",
  lockTtlMs: "number",
  now: "structure",
};

describe("runPlan: every option", () => {
  for (const field of fuzzed(flattenFields(RUN_FIELDS)))
    itFor(OPEN, `runPlan.${field.path}`)(`${field.path} (${field.spec})`, async () => {
      await fc.assert(
        fc.asyncProperty(hostileFor("20261126T053300Z-3fa9c1", box), async (value) => {
          const { f, plan } = await flipPlan();
          const options = withField(
            { ...fileStores(), owner: "t", now: () => f.clock.now() },
            field.path,
            value,
          );
          const outcome = await outsideUnchanged(f, async () => {
            const ran = await runPlan(plan, options as RunOptions);
            return ran.isErr()
              ? {
                  refused: ran.error.kind === "invalid_input",
                  detail: `${ran.error.kind}: ${ran.error.message}`,
                }
              : { refused: false, detail: "ran" };
          });
          expectInert(box, field, value, outcome);
        }),
        propertyParams(RUNS, hostileExamples(box)),
      );
    });
});

/** The options runPlan shares are fuzzed there; here the run id and resume's own options. */
const RESUME_FIELDS: Fields<ResumeOptions & { runIdArgument: string }> = {
  journal: "structure",
  lock: "structure",
  owner: "structure",
  signal: "structure",
  onEvent: "structure",
  acknowledgeDataLoss: "structure",
  lockTtlMs: "structure",
  now: "structure",
  runIdArgument: "name",
  rebuild: "structure",
  mode: "enum",
  breakStaleLock: "boolean",
};

describe("resumeRun: the run id and every option", () => {
  for (const field of fuzzed(flattenFields(RESUME_FIELDS)))
    itFor(OPEN, `resumeRun.${field.path}`)(`${field.path} (${field.spec})`, async () => {
      await fc.assert(
        fc.asyncProperty(hostileFor("20261126T053300Z-3fa9c1", box), async (value) => {
          const f = createFleet();
          const base = {
            ...fileStores(),
            owner: "t",
            now: () => f.clock.now(),
            rebuild: (intent: PlanIntent) => planForIntent(f.topology, f.drivers, intent),
          };
          const runId = field.path === "runIdArgument" ? value : "20261126T053300Z-3fa9c1";
          const options = field.path === "runIdArgument" ? base : withField(base, field.path, value);
          const outcome = await outsideUnchanged(f, async () => {
            const resumed = await resumeRun(runId, options as ResumeOptions);
            return resumed.isErr()
              ? {
                  refused: resumed.error.kind === "invalid_input",
                  detail: `${resumed.error.kind}: ${resumed.error.message}`,
                }
              : { refused: false, detail: "resumed" };
          });
          expectInert(box, field, value, outcome);
        }),
        propertyParams(RUNS, hostileExamples(box)),
      );
    });
});

describe("planForIntent: every field of a journaled intent (resume rebuilds from it)", () => {
  for (const field of fuzzed(flattenFields(INTENT_FIELDS)) as Field[])
    itFor(OPEN, `planForIntent.${field.path}`)(`${field.path} (${field.spec})`, async () => {
      const { f, plan } = await flipPlan();
      await fc.assert(
        fc.asyncProperty(hostileFor(String(valueAt(plan.intent, field.path) ?? "x"), box), async (value) => {
          const rebuilt = planForIntent(f.topology, f.drivers, withField(plan.intent, field.path, value));
          expectInert(box, field, value, {
            refused: rebuilt.isErr() && rebuilt.error.reason === "invalid_input",
            detail: rebuilt.isErr() ? `${rebuilt.error.reason}: ${rebuilt.error.message}` : "rebuilt",
          });
        }),
        propertyParams(RUNS, hostileExamples(box)),
      );
    });
});
