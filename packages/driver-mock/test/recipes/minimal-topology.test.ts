import type { DriverError, RollbackPlan, Topology } from "@backflip/core";
import {
  applyInverseSql,
  cleanupColor,
  fastFlip,
  planForIntent,
  redeploy,
  redeployViaPipeline,
  restoreSnapshot,
} from "@backflip/core/recipes";
import type { ResultAsync } from "neverthrow";
import { describe, expect, it } from "vitest";
import { createFleet, type FleetDrivers, fleetSha } from "../../src/index";
import { expectConverged, run } from "./fleet-run";

/** A stack with only traffic and containers: no public URL, database, snapshots, registry naming or pipeline. */
const minimal: Topology = {
  env: "shop",
  colors: ["blue", "green"],
  traffic: {
    stateFile: "/srv/shop/live-color",
    historyFile: "/srv/shop/live-color.history",
    historyLimit: 20,
  },
  containers: {
    components: ["api", "web"],
    pattern: "shop-{component}-{color}",
    healthPath: "/healthz",
    app: { releaseFile: "/srv/app/RELEASE", stageDir: "/srv/app/releases" },
  },
};

const A = fleetSha("shop release A (known good)");
const B = fleetSha("shop release B (bad)");
const who = { actor: "alice", reason: "roll back the shop" };

/** Green runs the bad B, blue still holds A (stopped), A is in the registry. */
const shopFleet = () =>
  createFleet({
    topology: minimal,
    proxy: { container: "shop-proxy", configPath: "/etc/shop-proxy.cfg" },
    scenario: {
      active: "green",
      colors: {
        blue: { sha: A, running: true, healthy: true },
        green: { sha: B, running: true, healthy: false },
      },
      history: [
        { at: "2026-01-01T00:00:00.000Z", color: "green", sha: B },
        { at: "2025-12-31T22:00:00.000Z", color: "blue", sha: A },
      ],
      artifacts: [A, B],
    },
  });

describe("a topology with only traffic and containers", () => {
  it("plans and runs fastFlip with exactly host, traffic and probe (no public probe without a public URL)", async () => {
    const f = shopFleet();
    const { host, traffic, probe } = f.drivers;
    const plan = (await fastFlip(minimal, { host, traffic, probe }, who))._unsafeUnwrap();
    expect(plan.intent).toMatchObject({ path: "fast-flip", env: "shop", from: "green", to: "blue", sha: A });
    expect(plan.steps.map((s) => s.id)).not.toContain("public-probe");
    const report = (await run(f, plan)).result._unsafeUnwrap();
    expect(report.state).toBe("succeeded");
    expectConverged(f, "blue");
  });

  it("plans and runs redeploy with exactly host, traffic, probe and registry (no migration caveat without a database)", async () => {
    const f = shopFleet();
    f.world.setColor("blue", { running: false })._unsafeUnwrap();
    const { host, traffic, probe, registry } = f.drivers;
    const plan = (
      await redeploy(minimal, { host, traffic, probe, registry }, { ...who, sha: A })
    )._unsafeUnwrap();
    expect(plan.intent).toMatchObject({ path: "redeploy", from: "green", to: "blue", sha: A });
    expect(plan.steps.map((s) => s.id)).toEqual([
      "resolve-artifacts",
      "pick-idle-color",
      "read-state",
      "render-validate",
      "stage-artifacts",
      "start-and-check",
      "activate",
      "record",
      "post-run-facts",
    ]);
    const report = (await run(f, plan)).result._unsafeUnwrap();
    expect(report.state).toBe("succeeded");
    expectConverged(f, "blue");
    for (const c of f.world.colorContainers("blue")) {
      expect(c.sha).toBe(A);
      expect([...c.files.keys()].some((p) => p.startsWith("/srv/app/releases/"))).toBe(true);
    }
  });

  it("rebuilds its plans from the journal's intent through the built-in registry", async () => {
    const f = shopFleet();
    const plan = (await fastFlip(minimal, f.drivers, who))._unsafeUnwrap();
    const rebuilt = planForIntent(minimal, f.drivers, plan.intent)._unsafeUnwrap();
    expect(rebuilt.steps.map((s) => s.id)).toEqual(plan.steps.map((s) => s.id));
  });
});

/** The fleet's drivers, each method call recorded as `driver.method` in `calls`. */
function recorded(drivers: FleetDrivers, calls: string[]): FleetDrivers {
  const wrap = (name: string, driver: object) =>
    new Proxy(driver, {
      get: (target, prop, receiver) => {
        const value = Reflect.get(target, prop, receiver);
        if (typeof value !== "function") return value;
        return (...args: unknown[]) => {
          calls.push(`${name}.${String(prop)}`);
          return value.apply(target, args);
        };
      },
    });
  return Object.fromEntries(
    Object.entries(drivers).map(([k, d]) => [k, wrap(k, d)]),
  ) as unknown as FleetDrivers;
}

describe("a recipe that needs a section the topology lacks is refused at plan time", () => {
  const cases: ReadonlyArray<
    readonly [string, string, (d: FleetDrivers) => ResultAsync<RollbackPlan, DriverError>]
  > = [
    ["redeployViaPipeline", "topology.pipeline", (d) => redeployViaPipeline(minimal, d, { ...who, sha: A })],
    ["applyInverseSql", "topology.database", (d) => applyInverseSql(minimal, d, { ...who, sql: "SELECT 1" })],
    ["restoreSnapshot", "topology.snapshots", (d) => restoreSnapshot(minimal, d, { ...who, sha: A })],
    [
      "cleanupColor",
      "topology.pipeline",
      (d) => cleanupColor(minimal, d, { ...who, color: "blue", via: "pipeline" }),
    ],
    [
      "redeploy",
      "topology.containers.app",
      (d) =>
        redeploy({ ...minimal, containers: { ...minimal.containers, app: undefined } }, d, {
          ...who,
          sha: A,
        }),
    ],
  ];
  for (const [recipe, section, plan] of cases) {
    it(`${recipe} without ${section}: invalid_input naming it, before any driver is called`, async () => {
      const f = shopFleet();
      const calls: string[] = [];
      const error = (await plan(recorded(f.drivers, calls)))._unsafeUnwrapErr();
      expect(error.reason).toBe("invalid_input");
      expect(error.op).toBe(recipe);
      expect(error.message).toContain(section);
      expect(calls).toEqual([]);
    });
  }

  it("planForIntent (a resume) refuses the same way", () => {
    const f = shopFleet();
    const intent = {
      path: "redeploy-pipeline",
      env: "shop",
      actor: "alice",
      reason: "resume",
      params: { sha: A },
    } as const;
    const error = planForIntent(minimal, f.drivers, intent)._unsafeUnwrapErr();
    expect(error.reason).toBe("invalid_input");
    expect(error.message).toContain("topology.pipeline");
  });

  it("planForIntent says which driver is missing: unsupported", () => {
    const f = shopFleet();
    const plan = {
      path: "inverse-sql",
      env: "shop",
      actor: "a",
      reason: "r",
      params: { sql: "SELECT 1" },
    } as const;
    const withDatabase: Topology = {
      ...minimal,
      database: { container: "shop-db", name: "shop", user: "shop" },
    };
    const error = planForIntent(withDatabase, { host: f.drivers.host }, plan)._unsafeUnwrapErr();
    expect(error.reason).toBe("unsupported");
    expect(error.message).toContain("database");
  });
});
