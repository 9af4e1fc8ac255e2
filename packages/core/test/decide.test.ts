import { describe, expect, it } from "vitest";
import {
  type ColorFacts,
  type DecideContext,
  type Decision,
  decide as decideResult,
  type Facts,
  RUNBOOK,
} from "../src/recipes/index";

const A = "a".repeat(40); // prior release (blue)
const B = "b".repeat(40); // bad release (green, live)
const C = "c".repeat(40); // an older release

function color(name: string, state: "running" | "stopped" | "missing", release: string | null): ColorFacts {
  const containers = ["backend", "stream", "web"].map((component) => ({
    name: `veza-staging-${component}-${name}`,
    component,
    exists: state !== "missing",
    running: state === "running",
    status: state === "running" ? "Running" : state === "stopped" ? "Stopped" : "Missing",
    release: state === "missing" ? null : release,
  }));
  return { color: name, containers, allRunning: state === "running", anyMissing: state === "missing" };
}

function facts(overrides: Partial<Facts> = {}): Facts {
  return {
    env: "staging",
    observedAt: "2026-01-01T00:00:00.000Z",
    activeColor: "green",
    history: [
      { at: "2026-01-01T00:00:00.000Z", color: "green", sha: B },
      { at: "2025-12-31T23:00:00.000Z", color: "blue", sha: A },
    ],
    liveSha: B,
    priorColor: "blue",
    priorSha: A,
    colors: { blue: color("blue", "running", A), green: color("green", "running", B) },
    artifacts: {
      [A]: { backend: true, stream: true, web: true },
      [B]: { backend: true, stream: true, web: true },
    },
    migration: { managed: true, version: 7, dirty: false },
    publicHealth: { url: "https://staging.veza.fr/api/v1/health", healthy: false, status: 503 },
    ...overrides,
  };
}

/** The decision for a valid context. */
const decide = (f: Facts, context: DecideContext): Decision => decideResult(f, context)._unsafeUnwrap();

const onCall: DecideContext = { symptom: "public-probe-failing", onCall: true, paged: true };

describe("decide: the flowchart", () => {
  it("new color never came up (deploy job red in Phase D): Phase F already reverted, no action", () => {
    const d = decide(facts(), { ...onCall, newColorCameUp: false });
    expect(d).toMatchObject({ action: "none", rule: "never-came-up", runbook: RUNBOOK.neverCameUp });
    expect(d.path).toBeUndefined();
  });

  it("infers 'never came up' when the bad SHA is not live", () => {
    const d = decide(facts({ liveSha: A, activeColor: "blue" }), { ...onCall, badSha: B });
    expect(d).toMatchObject({ action: "none", rule: "never-came-up" });
    expect(d.reason).toContain("not live");
  });

  it("the bad SHA is live: it came up, roll back", () => {
    expect(decide(facts(), { ...onCall, badSha: B }).action).toBe("rollback");
  });

  it("came up and the prior color is alive: Path 1 to the prior color", () => {
    const d = decide(facts(), onCall);
    expect(d).toMatchObject({
      action: "rollback",
      path: 1,
      recipe: "fast-flip",
      rule: "path-1",
      target: { color: "blue", sha: A },
      runbook: RUNBOOK.path1,
    });
  });

  it("app broken in user reports (probe passing) also goes to Path 1", () => {
    const d = decide(facts({ publicHealth: { url: "u", healthy: true, status: 200 } }), {
      ...onCall,
      symptom: "app-broken",
    });
    expect(d).toMatchObject({ action: "rollback", path: 1 });
    expect(d.warnings).toEqual([]);
  });

  it("a probe reported failing but passing now is called out", () => {
    const d = decide(facts({ publicHealth: { url: "u", healthy: true, status: 200 } }), onCall);
    expect(d.warnings.join(" ")).toContain("passes right now");
  });

  it("prior color cleaned up (containers gone): Path 2 with the prior SHA and the migration caveat", () => {
    const d = decide(
      facts({ colors: { blue: color("blue", "missing", null), green: color("green", "running", B) } }),
      onCall,
    );
    expect(d).toMatchObject({
      action: "rollback",
      path: 2,
      recipe: "redeploy",
      rule: "path-2",
      target: { sha: A },
    });
    expect(d.runbook).toContain(RUNBOOK.path2);
    expect(d.reason).toContain("gone");
    expect(d.warnings.join(" ")).toContain("Migrations are not rolled back automatically");
  });

  it("prior color stopped (not every container RUNNING): Path 2", () => {
    const d = decide(
      facts({ colors: { blue: color("blue", "stopped", A), green: color("green", "running", B) } }),
      onCall,
    );
    expect(d).toMatchObject({ path: 2, target: { sha: A } });
    expect(d.reason).toContain("RUNNING");
  });

  it("an older SHA than the prior one is wanted: Path 2 even with the prior color alive", () => {
    const d = decide(facts({ artifacts: { [C]: { backend: true, stream: true, web: true } } }), {
      ...onCall,
      targetSha: C,
    });
    expect(d).toMatchObject({ path: 2, target: { sha: C } });
  });

  it("registry purged of the SHA: Path 3, rebuild and push, then Path 2", () => {
    const d = decide(
      facts({
        colors: { blue: color("blue", "missing", null), green: color("green", "running", B) },
        artifacts: { [A]: { backend: false, stream: true, web: true } },
      }),
      onCall,
    );
    expect(d).toMatchObject({ action: "rollback", path: 3, recipe: "rebuild-push", rule: "path-3-purged" });
    expect(d.reason).toContain("backend");
    expect(d.runbook).toContain(RUNBOOK.path3Purged);
  });

  it("artifact presence unknown (no registry): Path 2 with a warning", () => {
    const d = decide(
      facts({
        colors: { blue: color("blue", "missing", null), green: color("green", "running", B) },
        artifacts: null,
      }),
      onCall,
    );
    expect(d.path).toBe(2);
    expect(d.warnings.join(" ")).toContain("unknown");
  });

  it("no SHA known at all: Path 2, pick one", () => {
    const d = decide(
      facts({
        history: [{ at: "2026-01-01T00:00:00.000Z", color: "green" }],
        priorColor: null,
        priorSha: null,
        colors: { blue: color("blue", "missing", null), green: color("green", "running", B) },
      }),
      onCall,
    );
    expect(d).toMatchObject({ path: 2, rule: "path-2" });
    expect(d.target).toBeUndefined();
    expect(d.reason).toContain("pick one");
  });

  it("poisoned schema: Path 3, inverse SQL", () => {
    const d = decide(facts({ migration: { managed: true, version: 8, dirty: true } }), {
      ...onCall,
      schemaPoisoned: true,
    });
    expect(d).toMatchObject({ action: "rollback", path: 3, recipe: "inverse-sql", rule: "schema-poisoned" });
    expect(d.runbook).toBe(RUNBOOK.path3Schema);
    expect(d.warnings.join(" ")).toContain("dirty");
  });

  it("broken Incus host: Path 3, snapshot restore (last resort)", () => {
    const d = decide(facts(), { ...onCall, hostBroken: true });
    expect(d).toMatchObject({ action: "rollback", path: 3, recipe: "restore-snapshot", rule: "host-broken" });
    expect(d.runbook).toContain("Last-resort only");
  });
  it("prior color on a cluster member that does not answer: says which member, and what that rules out", () => {
    const blue = color("blue", "running", A);
    const containers = blue.containers.map((c, i) =>
      i === 0 ? c : { ...c, running: false, status: "Error", release: null, location: "m3" },
    );
    const d = decide(
      facts({ colors: { ...facts().colors, blue: { ...blue, containers, allRunning: false } } }),
      onCall,
    );
    expect(d).toMatchObject({ path: 2, rule: "path-2" });
    expect(d.reason).toContain("cluster member m3 does not answer");
    expect(d.warnings[0]).toContain("veza-staging-stream-blue, veza-staging-web-blue on cluster member m3");
    expect(d.warnings[0]).toContain("incus cluster evacuate");
  });
});

describe("decide: When NOT to rollback", () => {
  it("single user reports a bug: triage first", () => {
    const d = decide(facts(), { ...onCall, symptom: "single-user-report" });
    expect(d).toMatchObject({ action: "none", rule: "single-user-report", runbook: RUNBOOK.singleUser });
  });

  it("performance regression: scale, fix forward", () => {
    const d = decide(facts(), { ...onCall, symptom: "performance-regression" });
    expect(d).toMatchObject({
      action: "fix-forward",
      rule: "performance-regression",
      runbook: RUNBOOK.performance,
    });
  });

  it("cosmetic UI bug: hot-fix the frontend", () => {
    const d = decide(facts(), { ...onCall, symptom: "cosmetic-bug" });
    expect(d).toMatchObject({ action: "fix-forward", rule: "cosmetic-bug", runbook: RUNBOOK.cosmetic });
  });

  it("not on call and not paged: the on-call's call", () => {
    const d = decide(facts(), { symptom: "public-probe-failing", onCall: false, paged: false });
    expect(d).toMatchObject({ action: "none", rule: "not-on-call", runbook: RUNBOOK.notOnCall });
  });

  it("paged but not on call, or on call but not paged, may act", () => {
    expect(decide(facts(), { symptom: "app-broken", onCall: false, paged: true }).action).toBe("rollback");
    expect(decide(facts(), { symptom: "app-broken", onCall: true, paged: false }).action).toBe("rollback");
  });

  it("the When-NOT rules win over a live prior color", () => {
    for (const symptom of ["single-user-report", "performance-regression", "cosmetic-bug"] as const)
      expect(decide(facts(), { ...onCall, symptom }).path).toBeUndefined();
  });
});

describe("decide: the context is checked (issue 17, finding 10)", () => {
  const bad: ReadonlyArray<readonly [string, Record<string, unknown>]> = [
    ["targetSha", { targetSha: "$(touch /tmp/pwn-decide)" }],
    ["targetSha", { targetSha: A.toUpperCase() }],
    ["targetSha", { targetSha: A.slice(0, 12) }],
    ["badSha", { badSha: `${B}\n` }],
    ["symptom", { symptom: "everything-is-on-fire" }],
    ["onCall", { onCall: "yes" }],
    ["paged", { paged: undefined }],
    ["newColorCameUp", { newColorCameUp: 1 }],
    ["schemaPoisoned", { schemaPoisoned: "true" }],
    ["hostBroken", { hostBroken: null }],
    ["target", { target: "blue" }],
  ];
  for (const [field, change] of bad) {
    it(`refuses ${JSON.stringify(change)}: invalid_input naming ${field}, the value not echoed`, () => {
      const error = decideResult(facts(), { ...onCall, ...change } as DecideContext)._unsafeUnwrapErr();
      expect(error).toMatchObject({ reason: "invalid_input", op: "decide" });
      expect(error.message).toContain(field);
      const value = Object.values(change)[0];
      if (typeof value === "string") expect(error.message).not.toContain(value);
    });
  }

  it("a valid target SHA is the decision's target", () => {
    const d = decide(facts({ artifacts: { [C]: { backend: true, stream: true, web: true } } }), {
      ...onCall,
      targetSha: C,
    });
    expect(d).toMatchObject({ path: 2, target: { sha: C } });
  });
});
