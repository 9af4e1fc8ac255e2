import type { JournalRecord } from "@backflip/core";
import { vezaHaproxy, vezaTopology } from "@backflip/core/recipes";
import { describe, expect, it } from "vitest";
import { createFleet, fleetSha } from "../src/index";

const topology = vezaTopology("staging");
const request = { color: "blue", runId: "run-1", actor: "alice" };

const record = (runId: string, seq: number): JournalRecord => ({
  seq,
  event: {
    type: "step.log",
    runId,
    at: "2026-01-01T00:00:00.000Z",
    elapsedMs: 0,
    stepId: "s",
    message: `line ${seq}`,
  },
});

describe("fault injection", () => {
  it("fails an op with the reason and message, `times` times, changing nothing", async () => {
    const fleet = createFleet();
    fleet.faults
      .fail("traffic.reload", "failed", { times: 1, message: "haproxy master is gone" })
      ._unsafeUnwrap();
    const config = (await fleet.drivers.traffic.render(request))._unsafeUnwrap();
    (await fleet.drivers.traffic.install(config))._unsafeUnwrap();
    const error = (await fleet.drivers.traffic.reload())._unsafeUnwrapErr();
    expect(error).toMatchObject({
      driver: "mock-traffic",
      op: "reload",
      reason: "failed",
      message: "haproxy master is gone",
    });
    expect(fleet.world.traffic().liveColor).toBe("green");
    (await fleet.drivers.traffic.reload())._unsafeUnwrap();
    expect(fleet.world.traffic().liveColor).toBe("blue");
    expect(fleet.faults.calls("traffic.reload")).toBe(2);
  });

  it("keeps failing until cleared when no count is given, and matches a target", async () => {
    const fleet = createFleet();
    fleet.faults.fail("host.start", "timeout", { target: "veza-staging-web-blue" })._unsafeUnwrap();
    for (let i = 0; i < 3; i++)
      expect((await fleet.drivers.host.start("veza-staging-web-blue"))._unsafeUnwrapErr().reason).toBe(
        "timeout",
      );
    (await fleet.drivers.host.start("veza-staging-backend-blue"))._unsafeUnwrap();
    fleet.faults.clear("host.start");
    (await fleet.drivers.host.start("veza-staging-web-blue"))._unsafeUnwrap();
  });

  it("fails only the probe of one URL, leaving the containers' own URLs healthy", async () => {
    const fleet = createFleet();
    fleet.faults.fail("probe.check", "failed", { target: fleet.publicHealthUrl })._unsafeUnwrap();
    expect((await fleet.drivers.probe.check({ url: fleet.publicHealthUrl }))._unsafeUnwrapErr().reason).toBe(
      "failed",
    );
    (
      await fleet.drivers.probe.check({ url: fleet.containerHealthUrl("veza-staging-backend-green") })
    )._unsafeUnwrap();
  });

  it("does not spend a fault on invalid input", async () => {
    const fleet = createFleet();
    fleet.faults.fail("registry.stat", "unavailable", { times: 1 })._unsafeUnwrap();
    expect(
      (await fleet.drivers.registry.stat({ component: "backend", sha: "short" }))._unsafeUnwrapErr().reason,
    ).toBe("invalid_input");
    expect(
      (await fleet.drivers.registry.stat({ component: "backend", sha: fleetSha("x") }))._unsafeUnwrapErr()
        .reason,
    ).toBe("unavailable");
  });

  it("rejects an unknown op or a bad count as invalid_input", () => {
    const fleet = createFleet();
    expect(fleet.faults.fail("traffic.flip", "failed")._unsafeUnwrapErr().reason).toBe("invalid_input");
    expect(fleet.faults.fail("traffic.reload", "failed", { times: 0 })._unsafeUnwrapErr().reason).toBe(
      "invalid_input",
    );
    expect(fleet.faults.latency("host.stop", -1)._unsafeUnwrapErr().reason).toBe("invalid_input");
  });

  it("adds latency in real time and on the clock, and an op's signal cuts it short", async () => {
    const fleet = createFleet();
    fleet.faults.latency("shell.run", 5_000)._unsafeUnwrap();
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 20);
    const shell = fleet.drivers.host.shell("veza-staging-backend-green");
    expect((await shell.run(["true"], { signal: controller.signal }))._unsafeUnwrapErr().reason).toBe(
      "aborted",
    );
    fleet.faults.clear();
    fleet.faults.latency("database.migrationState", 30)._unsafeUnwrap();
    const before = fleet.clock.now().getTime();
    (await fleet.drivers.database.migrationState())._unsafeUnwrap();
    expect(fleet.clock.now().getTime() - before).toBe(30);
  });

  it("fails a pipeline run (pipeline.run) or keeps it running (timeout) until cancelled", async () => {
    const fleet = createFleet();
    const inputs = { env: "staging", mode: "fast", target_color: "blue" };
    fleet.faults.fail("pipeline.run", "failed", { times: 1 })._unsafeUnwrap();
    const first = (
      await fleet.drivers.pipeline.dispatch({ workflow: "rollback.yml", ref: "main", inputs })
    )._unsafeUnwrap();
    const failed = (await fleet.drivers.pipeline.follow(first.id, { deadlineMs: 10_000 }))._unsafeUnwrap();
    expect(failed.status).toBe("failure");
    expect(fleet.world.traffic().liveColor).toBe("green");
    fleet.faults.fail("pipeline.run", "timeout")._unsafeUnwrap();
    const stuck = (
      await fleet.drivers.pipeline.dispatch({ workflow: "rollback.yml", ref: "main", inputs })
    )._unsafeUnwrap();
    expect(
      (await fleet.drivers.pipeline.follow(stuck.id, { deadlineMs: 10_000, pollMs: 1000 }))._unsafeUnwrapErr()
        .reason,
    ).toBe("timeout");
    (await fleet.drivers.pipeline.cancel(stuck.id))._unsafeUnwrap();
    expect((await fleet.drivers.pipeline.getRun(stuck.id))._unsafeUnwrap().status).toBe("cancelled");
  });
});

describe("journal and lock", () => {
  it("a crashing journal stops recording after N appends; the fleet journal reads what was kept", async () => {
    const fleet = createFleet();
    const crashing = fleet.crashingJournal(2);
    (await crashing.append("run-a", record("run-a", 0)))._unsafeUnwrap();
    (await crashing.append("run-a", record("run-a", 1)))._unsafeUnwrap();
    expect((await crashing.append("run-a", record("run-a", 2)))._unsafeUnwrapErr().reason).toBe("aborted");
    const kept = (await fleet.journal.read("run-a"))._unsafeUnwrap();
    expect(kept.map((r) => r.seq)).toEqual([0, 1]);
    (await fleet.journal.append("run-a", record("run-a", 2)))._unsafeUnwrap();
    expect((await fleet.journal.list())._unsafeUnwrap()).toEqual(["run-a"]);
  });

  it("leases expire on the fleet clock", async () => {
    const fleet = createFleet();
    const lease = (
      await fleet.lock.acquire("staging", { owner: "alice run 1", ttlMs: 60_000 })
    )._unsafeUnwrap();
    expect(lease.expiresAt).toBe("2026-01-01T00:01:00.000Z");
    expect((await fleet.lock.inspect("staging"))._unsafeUnwrap()?.stale).toBe(false);
    fleet.clock.advance(60_000);
    expect((await fleet.lock.inspect("staging"))._unsafeUnwrap()?.stale).toBe(true);
    const refused = (await fleet.lock.acquire("staging", { owner: "bob", ttlMs: 1000 }))._unsafeUnwrapErr();
    expect(refused.details).toMatchObject({ owner: "alice run 1", stale: true });
    fleet.faults.fail("lock.breakStale", "unavailable", { times: 1 })._unsafeUnwrap();
    expect((await fleet.lock.breakStale("staging"))._unsafeUnwrapErr().reason).toBe("unavailable");
    (await fleet.lock.breakStale("staging"))._unsafeUnwrap();
  });
});

describe("shells", () => {
  it("runs a small sh: redirections, pipes, conditionals, loops, exit codes", async () => {
    const fleet = createFleet();
    const shell = fleet.drivers.host.shell(vezaHaproxy(topology.env).container);
    const script = [
      "set_by=me",
      'for c in blue green; do printf "%s\\n" "$c" >> /tmp/colors; done',
      "if [ -f /tmp/colors ] && ! [ -d /tmp/colors ]; then cat /tmp/colors | wc -l; else echo missing; fi",
      'echo "$set_by $#" >&2',
      "false || exit 4",
    ].join("\n");
    const r = (await shell.run(["sh", "-c", script, "sh", "one"]))._unsafeUnwrap();
    expect(r).toMatchObject({ exitCode: 4, stdout: "2\n", stderr: "me 1\n" });
    const unsupported = (await shell.run(["sh", "-c", "echo $(id)"]))._unsafeUnwrap();
    expect(unsupported.exitCode).toBe(2);
    expect(unsupported.stderr).toContain("not supported");
  });

  it("refuses to run in a stopped container", async () => {
    const fleet = createFleet();
    fleet.world.setStatus("veza-staging-backend-blue", "Stopped")._unsafeUnwrap();
    const error = (
      await fleet.drivers.host.shell("veza-staging-backend-blue").run(["true"])
    )._unsafeUnwrapErr();
    expect(error.reason).toBe("conflict");
  });

  it("sleep moves the fleet clock by as much", async () => {
    const fleet = createFleet();
    const r = (await fleet.drivers.hostShell.run(["sleep", "0.05"]))._unsafeUnwrap();
    expect(r.durationMs).toBe(50);
    expect(fleet.clock.now().toISOString()).toBe("2026-01-01T00:00:00.050Z");
  });
});
