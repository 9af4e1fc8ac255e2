import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { RunEvent } from "@backflip/core";
import { decide, fastFlip, incidentFilePath, observe, postIncident } from "@backflip/core/recipes";
import { describe, expect, it } from "vitest";
import { fleet, run, topology } from "./fleet-run";

describe("observe", () => {
  it("gathers the runbook's facts without changing anything", async () => {
    const f = fleet();
    f.world.setStatus("veza-staging-web-blue", "Stopped")._unsafeUnwrap();
    const before = JSON.stringify(f.world.traffic());
    const facts = (await observe(topology, f.drivers))._unsafeUnwrap();
    expect(facts.activeColor).toBe("green");
    expect(facts.priorColor).toBe("blue");
    expect(facts.liveSha).toBe(f.world.release("veza-staging-backend-green"));
    expect(facts.colors.blue?.allRunning).toBe(false);
    expect(facts.colors.blue?.containers.find((c) => c.component === "web")?.status).toBe("Stopped");
    expect(facts.colors.green?.allRunning).toBe(true);
    expect(facts.colors.green?.containers[0]?.release).toBe(facts.liveSha);
    expect(facts.artifacts?.[facts.priorSha!]).toEqual({ backend: true, stream: true, web: true });
    expect(facts.migration).toEqual({ managed: true, version: 1, dirty: false });
    expect(facts.publicHealth?.healthy).toBe(true);
    expect(JSON.stringify(f.world.traffic())).toBe(before);
  });

  it("sees destroyed colors, purged artifacts and a failing public probe", async () => {
    const f = fleet();
    const priorSha = f.world.release("veza-staging-backend-blue")!;
    f.world.destroyColor("blue")._unsafeUnwrap();
    f.world.purgeArtifact("backend", priorSha)._unsafeUnwrap();
    f.world.setColor("green", { healthy: false })._unsafeUnwrap();
    const facts = (await observe(topology, f.drivers, { probeAttempts: 1 }))._unsafeUnwrap();
    expect(facts.colors.blue?.anyMissing).toBe(true);
    expect(facts.artifacts?.[priorSha]?.backend).toBe(false);
    expect(facts.publicHealth?.healthy).toBe(false);
    expect(
      decide(facts, { symptom: "public-probe-failing", onCall: true, paged: true })._unsafeUnwrap(),
    ).toMatchObject({
      path: 3,
      recipe: "rebuild-push",
    });
  });

  it("an unreadable state is an error, not a guess", async () => {
    const f = fleet();
    f.faults.fail("traffic.readState", "unavailable");
    expect((await observe(topology, f.drivers))._unsafeUnwrapErr().reason).toBe("unavailable");
  });
});

describe("postIncident", () => {
  async function flipped() {
    const f = fleet();
    f.world.setColor("green", { healthy: false })._unsafeUnwrap();
    const facts = (await observe(topology, f.drivers, { probeAttempts: 1 }))._unsafeUnwrap();
    const decision = decide(facts, {
      symptom: "public-probe-failing",
      onCall: true,
      paged: true,
    })._unsafeUnwrap();
    const plan = (
      await fastFlip(topology, f.drivers, { actor: "alice", reason: "green's deploy is bad" })
    )._unsafeUnwrap();
    const { result, events } = await run(f, plan);
    return { f, decision, report: result._unsafeUnwrap(), events };
  }

  it("renders what happened, the trigger, the path, timings and every command run", async () => {
    const { f, decision, events } = await flipped();
    const entry = (
      await postIncident({
        events,
        decision,
        whyFailed: "a nil map in the new handler",
        alerts: f.drivers.alerts,
        host: f.drivers.host,
        topology,
      })
    )._unsafeUnwrap();
    const md = entry.markdown;
    expect(md).toContain("Path 1 — HAProxy fast-flip");
    expect(md).toContain("green → blue");
    expect(md).toContain("succeeded");
    expect(md).toContain("green's deploy is bad");
    expect(md).toContain("a nil map in the new handler");
    expect(md).toContain(decision.runbook);
    expect(md).toContain(
      "incus list --format csv -c n,s '^(veza-staging-backend-blue|veza-staging-stream-blue|veza-staging-web-blue)$'",
    );
    expect(md).toContain("curl -sS -X GET https://staging.veza.fr/api/v1/health");
    expect(md).toMatch(/\| 3 \| Read the active color .* \| check \| succeeded \| \d/);
    expect(md).toContain("Veza cleanup workflow with color=green");
    expect(md).toContain("do NOT skip CI");
    expect(md).toContain("VezaDeployFailed");
    expect(["cleared", "firing"]).toContain(entry.alert.state);
    expect(entry.leftovers.map((c) => c.name)).toEqual([
      "veza-staging-backend-green",
      "veza-staging-stream-green",
      "veza-staging-web-green",
    ]);
    expect(md).toContain("Leftover containers of green: veza-staging-backend-green (Running)");
  });

  it("appends to a file atomically, keeping earlier entries", async () => {
    const { events } = await flipped();
    const path = join(await mkdtemp(join(tmpdir(), "backflip-pm-")), "docs", "POSTMORTEMS.md");
    (await postIncident({ events, path }))._unsafeUnwrap();
    (await postIncident({ events, path, trigger: "second entry" }))._unsafeUnwrap();
    const text = await readFile(path, "utf8");
    expect(text.match(/^## /gm)).toHaveLength(2);
    expect(text).toContain("second entry");
    expect(text).toContain("Not recorded yet");
  });

  it("says the alert state is unknown when no source answers, never that it cleared", async () => {
    const { events } = await flipped();
    const entry = (await postIncident({ events }))._unsafeUnwrap();
    expect(entry.alert.state).toBe("unknown");
    expect(entry.markdown).toContain("not checked: no alert source configured");
    expect(entry.markdown).not.toContain("has cleared");
  });

  it("names the runbook's per-incident file", () => {
    expect(incidentFilePath("/repo", "staging", "2026-11-26T05:00:00Z")._unsafeUnwrap()).toBe(
      "/repo/docs/runbooks/incidents/2026-11-26-staging.md",
    );
  });

  it("needs the run's events", async () => {
    const e = (await postIncident({ events: [] as RunEvent[] }))._unsafeUnwrapErr();
    expect(e.reason).toBe("invalid_input");
    const bad = (await postIncident({ events: (await flipped()).events, path: "a\0b" }))._unsafeUnwrapErr();
    expect(bad.reason).toBe("invalid_input");
  });

  it("records a reverted run's undo", async () => {
    const f = fleet();
    f.world.markBadRelease(f.world.release("veza-staging-backend-blue")!)._unsafeUnwrap();
    const plan = (
      await fastFlip(topology, f.drivers, { actor: "bob", reason: "try", probe: { attempts: 1 } })
    )._unsafeUnwrap();
    const { events } = await run(f, plan);
    const md = (await postIncident({ events }))._unsafeUnwrap().markdown;
    expect(md).toContain("failed and reverted");
    expect(md).toContain("| undone |");
    expect(md).toContain("# then undone");
  });
});
