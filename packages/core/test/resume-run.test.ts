import { join } from "node:path";
import { ok, okAsync } from "neverthrow";
import { describe, expect, it } from "vitest";
import {
  FileJournal,
  FileLeaseLock,
  type Journal,
  type LeaseLock,
  loadRun,
  MemoryJournal,
  MemoryLeaseLock,
  type ResumeOptions,
  type RunEvent,
  replayRun,
  resumeRun,
  runPlan,
} from "../src/index";
import { tempDirs } from "./support/temp-dirs";
import { CrashingJournal, INTENT, manualClock, type StepSpec, World } from "./support/world";

const tempDir = tempDirs("backflip-resume-");

/** The seq of the first event of a clean run of `specs` that `match` picks. */
async function seqOf(specs: StepSpec[], match: (e: RunEvent) => boolean): Promise<number> {
  const events: RunEvent[] = [];
  await runPlan(new World().plan(specs), {
    journal: new MemoryJournal(),
    lock: new MemoryLeaseLock(),
    acknowledgeDataLoss: true,
    onEvent: (e) => events.push(e),
  });
  const seq = events.findIndex(match);
  if (seq < 0) throw new Error("no such event");
  return seq;
}

const is = (type: RunEvent["type"], stepId?: string) => (e: RunEvent) =>
  e.type === type && (stepId === undefined || ("stepId" in e && e.stepId === stepId));

/** Runs `specs` until the journal "crashes" at the first event `match` picks; the lease is then stale. */
async function crashAt(
  specs: StepSpec[],
  match: (e: RunEvent) => boolean,
  storage: { journal?: Journal; lock?: (now: () => Date) => LeaseLock } = {},
) {
  const failAt = await seqOf(specs, match);
  const world = new World();
  const clock = manualClock();
  const journal = storage.journal ?? new MemoryJournal();
  const lock = storage.lock?.(clock.now) ?? new MemoryLeaseLock({ now: clock.now });
  const crashed = (
    await runPlan(world.plan(specs), {
      journal: new CrashingJournal(journal, failAt),
      lock,
      now: clock.now,
      owner: "alice@host pid 1",
    })
  )._unsafeUnwrapErr();
  expect(crashed.kind).toBe("journal_failed");
  clock.advance(61_000);
  const options: ResumeOptions = {
    journal,
    lock,
    now: clock.now,
    owner: "bob@host pid 2",
    breakStaleLock: true,
    rebuild: (intent) => ok(world.plan(specs, intent)),
  };
  return { world, journal, lock, clock, runId: crashed.runId!, options };
}

const CHANGES: StepSpec[] = [
  { id: "k1", kind: "check" },
  { id: "c1", kind: "change" },
  { id: "c2", kind: "change" },
  { id: "c3", kind: "change" },
  { id: "v1", kind: "verify" },
];

const withC2 = (extra: Partial<StepSpec>) => CHANGES.map((s) => (s.id === "c2" ? { ...s, ...extra } : s));

describe("resumeRun", () => {
  it("continues a run killed between two changes without repeating a completed one", async () => {
    const { world, runId, options } = await crashAt(CHANGES, is("step.started", "c3"));
    expect(world.calls).toEqual(["check:k1:ok", "run:c1", "run:c2"]);
    const report = (await resumeRun(runId, options))._unsafeUnwrap();
    expect(report.state).toBe("succeeded");
    expect(world.calls).toEqual(["check:k1:ok", "run:c1", "run:c2", "run:c3", "verify:v1:ok"]);
    expect(report.owner).toBe("alice@host pid 1");
  });

  it("never re-runs an interrupted change that is not idempotent: uncertain, revert, revert_failed naming it", async () => {
    const { world, journal, runId, options } = await crashAt(CHANGES, is("step.succeeded", "c2"));
    expect(world.calls).toEqual(["check:k1:ok", "run:c1", "run:c2"]);
    const error = (await resumeRun(runId, options))._unsafeUnwrapErr();
    expect(error.kind).toBe("revert_failed");
    expect(error.message).toContain("c2");
    expect(error.report?.error?.stepId).toBe("c2");
    expect(error.report?.steps.find((s) => s.id === "c2")?.outcome).toBe("uncertain");
    expect(world.runs.get("c2")).toBe(1);
    expect(world.calls.slice(3)).toEqual(["undo:c1"]);
    expect(world.badUndoOutputs).toEqual([]);
    const records = (await journal.read(runId))._unsafeUnwrap();
    expect(replayRun(records)._unsafeUnwrap()).toEqual(error.report);
  });

  it("re-runs an interrupted idempotent change", async () => {
    const specs = withC2({ idempotent: true });
    const { world, journal, runId, options } = await crashAt(specs, is("step.succeeded", "c2"));
    const report = (await resumeRun(runId, options))._unsafeUnwrap();
    expect(report.state).toBe("succeeded");
    expect(world.runs.get("c2")).toBe(2);
    expect(world.runs.get("c1")).toBe(1);
    const records = (await journal.read(runId))._unsafeUnwrap();
    expect(records.some((r) => r.event.type === "step.started" && r.event.resumed === true)).toBe(true);
  });

  it("asks reconcile about an interrupted change: done means not run again", async () => {
    const specs = withC2({ reconcile: true });
    const { world, runId, options } = await crashAt(specs, is("step.succeeded", "c2"));
    const report = (await resumeRun(runId, options))._unsafeUnwrap();
    expect(report.state).toBe("succeeded");
    expect(world.runs.get("c2")).toBe(1);
    expect(report.steps.find((s) => s.id === "c2")?.output).toEqual({ token: "before-c2" });
  });

  it("asks reconcile about an interrupted change: not done means run it", async () => {
    const specs = withC2({ reconcile: true });
    const { world, runId, options } = await crashAt(specs, is("step.succeeded", "c2"));
    world.applied.delete("c2");
    const report = (await resumeRun(runId, options))._unsafeUnwrap();
    expect(report.state).toBe("succeeded");
    expect(world.runs.get("c2")).toBe(2);
  });

  it("re-runs an interrupted undo, then finishes the revert", async () => {
    const specs: StepSpec[] = [
      { id: "c1", kind: "change" },
      { id: "c2", kind: "change" },
      { id: "c3", kind: "change", fail: true },
    ];
    const { world, runId, options } = await crashAt(specs, is("step.undone", "c2"));
    const error = (await resumeRun(runId, options))._unsafeUnwrapErr();
    expect(error.kind).toBe("reverted");
    expect(world.calls).toEqual(["run:c1", "run:c2", "fail:c3", "undo:c2", "undo:c2", "undo:c1"]);
    expect(world.applied.size).toBe(0);
  });

  it("reverts on request (mode revert)", async () => {
    const { world, runId, options } = await crashAt(CHANGES, is("step.started", "c3"));
    const error = (await resumeRun(runId, { ...options, mode: "revert" }))._unsafeUnwrapErr();
    expect(error.kind).toBe("reverted");
    expect(world.calls.slice(3)).toEqual(["undo:c2", "undo:c1"]);
    expect(error.report?.state).toBe("reverted");
  });

  it("continues a run killed during its checks without repeating a completed check", async () => {
    const specs: StepSpec[] = [{ id: "k0", kind: "check" }, ...CHANGES];
    const { world, runId, options } = await crashAt(specs, is("step.started", "k1"));
    expect((await resumeRun(runId, options)).isOk()).toBe(true);
    expect(world.calls.filter((c) => c.startsWith("check:k0"))).toHaveLength(1);
  });

  it("returns a finished run's outcome without running anything or taking the lease", async () => {
    const world = new World();
    const journal = new MemoryJournal();
    const lock = new MemoryLeaseLock();
    const specs: StepSpec[] = [{ id: "k1", kind: "check", fail: true }];
    const refused = (await runPlan(world.plan(specs), { journal, lock }))._unsafeUnwrapErr();
    await lock.acquire("staging", { owner: "someone else", ttlMs: 60_000 });
    const again = (
      await resumeRun(refused.runId!, { journal, lock, rebuild: () => ok(world.plan(specs)) })
    )._unsafeUnwrapErr();
    expect(again.kind).toBe("refused");
    expect(again.report).toEqual(refused.report);
    expect(world.calls).toEqual(["check:k1:fail"]);
  });

  it("releases the lease a run left when it was killed after plan.finished, and only that run's", async () => {
    const world = new World();
    const journal = new MemoryJournal();
    const lock = new MemoryLeaseLock();
    const specs: StepSpec[] = [{ id: "c1", kind: "change" }];
    // A process killed after journaling plan.finished, before releasing its lease.
    const killedBeforeRelease: LeaseLock = {
      name: "killed-before-release",
      acquire: (key, o) => lock.acquire(key, o),
      renew: (lease, ttl) => lock.renew(lease, ttl),
      release: () => okAsync(undefined),
      inspect: (key) => lock.inspect(key),
      breakStale: (key) => lock.breakStale(key),
    };
    const first = (await runPlan(world.plan(specs), { journal, lock: killedBeforeRelease }))._unsafeUnwrap();
    const second = (
      await runPlan(world.plan(specs, { ...INTENT, env: "prod" }), { journal, lock: killedBeforeRelease })
    )._unsafeUnwrap();
    const options = { journal, lock, rebuild: () => ok(world.plan(specs)) };
    expect((await resumeRun(first.runId, options))._unsafeUnwrap()).toEqual(first);
    expect((await lock.inspect("staging"))._unsafeUnwrap()).toBeNull();
    // Another run's lease on prod stays when a run that did not take it is resumed.
    expect((await resumeRun(first.runId, options)).isOk()).toBe(true);
    expect((await lock.inspect("prod"))._unsafeUnwrap()?.lease.owner).toContain(`run ${second.runId}`);
    expect(world.calls).toEqual(["run:c1", "run:c1"]);
  });

  it("refuses a rebuilt plan whose step ids differ, running nothing", async () => {
    const { world, lock, runId, options } = await crashAt(CHANGES, is("step.started", "c3"));
    const other = CHANGES.filter((s) => s.id !== "c3");
    const error = (
      await resumeRun(runId, { ...options, rebuild: () => ok(world.plan(other)) })
    )._unsafeUnwrapErr();
    expect(error.kind).toBe("invalid_input");
    expect(world.calls).toHaveLength(3);
    expect((await lock.inspect("staging"))._unsafeUnwrap()?.lease.owner).toContain("alice");
  });

  it("says lock_held while the killed run's lease is live, or stale without breakStaleLock", async () => {
    const { world, lock, clock, runId, options } = await crashAt(CHANGES, is("step.started", "c3"));
    const stale = (await resumeRun(runId, { ...options, breakStaleLock: false }))._unsafeUnwrapErr();
    expect(stale).toMatchObject({ kind: "lock_held", stale: true });
    expect(stale.owner).toContain(`alice@host pid 1 run ${runId}`);
    clock.advance(-61_000);
    const live = (await resumeRun(runId, options))._unsafeUnwrapErr();
    expect(live).toMatchObject({ kind: "lock_held", stale: false });
    expect(world.calls).toHaveLength(3);
    clock.advance(61_000);
    expect((await resumeRun(runId, options)).isOk()).toBe(true);
    expect((await lock.inspect("staging"))._unsafeUnwrap()).toBeNull();
  });

  it("needs acknowledgeDataLoss again to resume a destructive plan", async () => {
    const specs = withC2({ destructive: true });
    const failAt = await seqOf(specs, is("step.started", "c3"));
    const world = new World();
    const journal = new MemoryJournal();
    const crashed = (
      await runPlan(world.plan(specs), {
        journal: new CrashingJournal(journal, failAt),
        lock: new MemoryLeaseLock(),
        acknowledgeDataLoss: true,
      })
    )._unsafeUnwrapErr();
    const options: ResumeOptions = {
      journal,
      lock: new MemoryLeaseLock(),
      rebuild: (i) => ok(world.plan(specs, i)),
    };
    expect((await resumeRun(crashed.runId!, options))._unsafeUnwrapErr().kind).toBe("needs_acknowledgement");
    expect((await resumeRun(crashed.runId!, { ...options, acknowledgeDataLoss: true })).isOk()).toBe(true);
  });

  it("refuses bad input with invalid_input and says not_found for an unknown run", async () => {
    const journal = new MemoryJournal();
    const lock = new MemoryLeaseLock();
    const rebuild = () => ok(new World().plan(CHANGES));
    expect((await resumeRun("../x", { journal, lock, rebuild }))._unsafeUnwrapErr().kind).toBe(
      "invalid_input",
    );
    expect(
      (await resumeRun("r1", { journal, lock, rebuild, mode: "sideways" as "revert" }))._unsafeUnwrapErr()
        .kind,
    ).toBe("invalid_input");
    expect(
      (await resumeRun("r1", { journal, lock } as unknown as ResumeOptions))._unsafeUnwrapErr().kind,
    ).toBe("invalid_input");
    expect((await resumeRun("r1", { journal, lock, rebuild }))._unsafeUnwrapErr().kind).toBe("not_found");
    expect((await lock.inspect("staging"))._unsafeUnwrap()).toBeNull();
  });

  it("resumes from the file journal and file lock in a fresh 'process'", async () => {
    const dir = await tempDir();
    const files = {
      journal: new FileJournal({ dir: join(dir, "journal") }),
      lock: (now: () => Date) => new FileLeaseLock({ dir: join(dir, "locks"), now }),
    };
    const { world, clock, runId, options } = await crashAt(CHANGES, is("step.succeeded", "c1"), files);
    const journal = new FileJournal({ dir: join(dir, "journal") });
    const before = (await loadRun(journal, runId))._unsafeUnwrap();
    expect(before.steps.find((s) => s.id === "c1")?.outcome).toBe("uncertain");
    const error = (
      await resumeRun(runId, {
        ...options,
        journal,
        lock: new FileLeaseLock({ dir: join(dir, "locks"), now: clock.now }),
      })
    )._unsafeUnwrapErr();
    expect(error.kind).toBe("revert_failed");
    expect(world.runs.get("c1")).toBe(1);
    expect((await loadRun(journal, runId))._unsafeUnwrap()).toEqual(error.report);
  });

  it("stops, releasing the lease, when the killed run's journal grew while its lease was being broken", async () => {
    const { world, journal, lock, runId, options } = await crashAt(CHANGES, is("step.started", "c2"));
    const records = (await journal.read(runId))._unsafeUnwrap();
    const last = records.at(-1)!;
    // The "killed" runner was alive after all: it writes one more record just before the lease is taken.
    let late = false;
    const racing: LeaseLock = {
      name: "racing",
      acquire: (key, opts) => {
        if (late) return lock.acquire(key, opts);
        late = true;
        const event = { ...last.event, type: "step.log", message: "late" } as RunEvent;
        return journal.append(runId, { seq: records.length, event }).andThen(() => lock.acquire(key, opts));
      },
      renew: (lease, ttlMs) => lock.renew(lease, ttlMs),
      release: (lease) => lock.release(lease),
      inspect: (key) => lock.inspect(key),
      breakStale: (key) => lock.breakStale(key),
    };
    const calls = world.calls.length;
    const error = (await resumeRun(runId, { ...options, lock: racing }))._unsafeUnwrapErr();
    expect(error).toMatchObject({ kind: "lock_held", runId });
    expect(error.message).toContain("still being written");
    expect(world.calls.length).toBe(calls);
    expect((await journal.read(runId))._unsafeUnwrap()).toHaveLength(records.length + 1);
    expect((await lock.inspect("staging"))._unsafeUnwrap()).toBeNull();
  });
});
