import {
  colorContainers,
  createPlan,
  type DriverError,
  defineStep,
  fromDriverError,
  otherColor,
  type PlanIntent,
  type RollbackPlan,
  resumeRun,
  stepError,
  type Topology,
} from "@backflip/core";
import { builtInRecipes, type DriversFor, defineRecipe } from "@backflip/core/recipes";
import { errAsync, okAsync, type ResultAsync } from "neverthrow";
import { describe, expect, it } from "vitest";
import type { Fleet } from "../../src/index";
import { fleet, run, topology } from "./fleet-run";

const MARKER = "/srv/warmed-by";
const decoder = new TextDecoder();

/**
 * A recipe of the user's own, outside core: "warm" the idle color by writing a marker
 * into each of its containers (undo removes it), then verify every marker. It declares
 * the drivers it uses; its plan is typed to exactly those.
 */
const warmIdleRecipe = defineRecipe({
  path: "warm-idle",
  drivers: ["host"],
  plan: (t: Topology, drivers: DriversFor<"host">, intent: PlanIntent) => {
    const color = String(intent.params?.color);
    const names = colorContainers(t, color);
    const writes = names.map((name) =>
      defineStep<{ name: string }>({
        id: `warm-${name}`,
        title: `Write ${MARKER} into ${name}`,
        kind: "change",
        idempotent: true,
        describe: () => [
          { kind: "file", op: "write", where: { kind: "incus", instance: name }, path: MARKER },
        ],
        run: (ctx) =>
          drivers.host
            .pushFile(name, MARKER, `${ctx.runId}\n`, { mode: 0o644 })
            .map(() => ({ name }))
            .mapErr((e) => fromDriverError(`warm-${name}`, e)),
        undo: (_ctx, output) =>
          drivers.host
            .shell(output.name)
            .run(["rm", "-f", MARKER])
            .map(() => undefined)
            .mapErr((e) => fromDriverError(`warm-${name}`, e)),
      }),
    );
    const verify = defineStep<void>({
      id: "warmed",
      title: `Verify every ${color} container carries the marker`,
      kind: "verify",
      idempotent: true,
      describe: () => [],
      run: (ctx) =>
        names.reduce<ResultAsync<void, ReturnType<typeof stepError>>>(
          (prev, name) =>
            prev.andThen(() =>
              drivers.host
                .pullFile(name, MARKER)
                .mapErr((e) => fromDriverError("warmed", e))
                .andThen((bytes) =>
                  decoder.decode(bytes).trim() === ctx.runId
                    ? okAsync(undefined)
                    : errAsync(stepError("warmed", "failed", `${name} carries another marker`)),
                ),
            ),
          okAsync(undefined),
        ),
    });
    return createPlan(intent, [...writes, verify]);
  },
});

/** The user's entry point: plans the warm-up of the idle color. */
function warmIdle(f: Fleet): ResultAsync<RollbackPlan, DriverError> {
  return f.drivers.traffic.readState().andThen((state) => {
    const idle = otherColor(topology, state.activeColor);
    const intent: PlanIntent = {
      path: "warm-idle",
      env: topology.env,
      to: idle,
      actor: "alice",
      reason: "warm the idle color",
      params: { color: idle },
    };
    return warmIdleRecipe.plan(topology, f.drivers, intent);
  });
}

const registry = builtInRecipes.with(warmIdleRecipe);

const resumeWith = (
  f: Fleet,
  runId: string,
  rebuild: (intent: PlanIntent) => ReturnType<typeof registry.planForIntent>,
) =>
  resumeRun(runId, {
    journal: f.journal,
    lock: f.lock,
    owner: "test-resume",
    now: () => f.clock.now(),
    breakStaleLock: true,
    rebuild,
  });

describe("a user-defined recipe in an open registry", () => {
  it("is killed after every record and resumed through the registry like a built-in one", async () => {
    const full = fleet();
    const journal = full.crashingJournal(Number.MAX_SAFE_INTEGER);
    (await run(full, (await warmIdle(full))._unsafeUnwrap(), { journal })).result._unsafeUnwrap();
    const total = (await full.journal.read((await full.journal.list())._unsafeUnwrap()[0]!))._unsafeUnwrap()
      .length;
    expect(total).toBeGreaterThan(5);
    for (let n = 1; n < total; n++) {
      const f = fleet();
      const runId = `warm-kill-at-${n}`;
      const killed = await run(f, (await warmIdle(f))._unsafeUnwrap(), {
        journal: f.crashingJournal(n),
        runId,
      });
      expect(killed.result.isErr(), `killed after ${n} records`).toBe(true);
      f.clock.advance(120_000);
      const resumed = await resumeWith(f, runId, (intent) =>
        registry.planForIntent(topology, f.drivers, intent),
      );
      expect(resumed._unsafeUnwrap().state, `n=${n}`).toBe("succeeded");
      for (const c of f.world.colorContainers("blue"))
        expect(decoder.decode(c.files.get(MARKER)).trim(), `n=${n}`).toBe(runId);
    }
  });

  it("is not resumable through the built-in registry alone: unsupported, naming the path", async () => {
    const f = fleet();
    const runId = "warm-unregistered";
    await run(f, (await warmIdle(f))._unsafeUnwrap(), { journal: f.crashingJournal(3), runId });
    const resumed = await resumeWith(f, runId, (intent) =>
      builtInRecipes.planForIntent(topology, f.drivers, intent),
    );
    const error = resumed._unsafeUnwrapErr();
    expect(error.kind).toBe("invalid_input");
    expect(error.message).toContain('no recipe rebuilds a "warm-idle" plan');
  });

  it("declares its needs: the registry refuses to rebuild it without a host driver", () => {
    const intent: PlanIntent = {
      path: "warm-idle",
      env: "staging",
      actor: "a",
      reason: "r",
      params: { color: "blue" },
    };
    const error = registry.planForIntent(topology, {}, intent)._unsafeUnwrapErr();
    expect(error.reason).toBe("unsupported");
    expect(error.message).toContain("host");
  });
});
