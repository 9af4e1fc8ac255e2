import { join } from "node:path";
import { okAsync, ResultAsync } from "neverthrow";
import { describe, expect, it } from "vitest";
import {
  createPlan,
  FileJournal,
  FileLeaseLock,
  type Journal,
  loadRun,
  MemoryJournal,
  MemoryLeaseLock,
  type RunEvent,
  type RunOptions,
  replayRun,
  runPlan,
  type Step,
  stepError,
  stepHandle,
} from "../src/index";
import { tempDirs } from "./support/temp-dirs";
import { CrashingJournal, INTENT, manualClock, type StepSpec, World } from "./support/world";

const tempDir = tempDirs("backflip-race-");

function setup(world = new World()) {
  const journal = new MemoryJournal();
  const lock = new MemoryLeaseLock();
  const events: RunEvent[] = [];
  const options: RunOptions = {
    journal,
    lock,
    owner: "alice@host pid 1",
    signal: world.abort.signal,
    onEvent: (e) => events.push(e),
  };
  return { world, journal, lock, events, options };
}

const transitions = (events: RunEvent[]) =>
  events.flatMap((e) => (e.type === "plan.transition" ? [`${e.from}→${e.to}`] : []));

const BASIC: StepSpec[] = [
  { id: "k1", kind: "check", group: "pre" },
  { id: "k2", kind: "check", group: "pre" },
  { id: "c1", kind: "change" },
  { id: "c2", kind: "change" },
  { id: "c3", kind: "change" },
  { id: "v1", kind: "verify" },
];

describe("runPlan", () => {
  it("runs checks, then changes, then verifications, and succeeds", async () => {
    const { world, journal, lock, events, options } = setup();
    const report = (await runPlan(world.plan(BASIC), options))._unsafeUnwrap();
    expect(report.state).toBe("succeeded");
    expect(report.steps.map((s) => s.outcome)).toEqual(Array(6).fill("succeeded"));
    expect(world.calls).toEqual(["check:k1:ok", "check:k2:ok", "run:c1", "run:c2", "run:c3", "verify:v1:ok"]);
    expect(transitions(events)).toEqual([
      "planned→locked",
      "locked→checking",
      "checking→changing",
      "changing→verifying",
      "verifying→succeeded",
    ]);
    expect(events[0]).toMatchObject({ type: "plan.started", owner: "alice@host pid 1", intent: INTENT });
    expect(events.at(-1)).toMatchObject({ type: "plan.finished", state: "succeeded" });
    expect(report.runId).toMatch(/^\d{8}T\d{6}Z-[0-9a-f]{6}$/);
    // The journal holds exactly the observed events, in order.
    const records = (await journal.read(report.runId))._unsafeUnwrap();
    expect(records.map((r) => r.seq)).toEqual(events.map((_, i) => i));
    expect(records.map((r) => r.event)).toEqual(events);
    expect(replayRun(records)._unsafeUnwrap()).toEqual(report);
    expect((await loadRun(journal, report.runId))._unsafeUnwrap()).toEqual(report);
    // The lease is released.
    expect((await lock.inspect("staging"))._unsafeUnwrap()).toBeNull();
  });

  it("journals each event before the next step starts", async () => {
    const world = new World();
    const { journal, options } = setup(world);
    const seen: number[] = [];
    const probe: Step = {
      id: "probe",
      title: "count the journal",
      kind: "change",
      describe: () => [],
      run: (ctx) =>
        journal
          .read(ctx.runId)
          .map((records) => {
            seen.push(records.length);
            return records.length;
          })
          .mapErr((e) => stepError("probe", e.reason, e.message)),
    };
    const plan = createPlan(INTENT, [world.step({ id: "c1", kind: "change" }), probe])._unsafeUnwrap();
    const report = (await runPlan(plan, options))._unsafeUnwrap();
    const records = (await journal.read(report.runId))._unsafeUnwrap();
    const started = records.findIndex((r) => r.event.type === "step.started" && r.event.stepId === "probe");
    expect(seen).toEqual([started + 1]);
  });

  it("runs the checks of one group in parallel, groups in order", async () => {
    const world = new World();
    const { options } = setup(world);
    const order: string[] = [];
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const check = (id: string, group: string, wait: boolean): Step => ({
      id,
      title: id,
      kind: "check",
      group,
      describe: () => [],
      run: () => {
        order.push(`start ${id}`);
        if (id === "b2") release();
        return ResultAsync.fromSafePromise(
          (wait ? gate : Promise.resolve()).then(() => order.push(`end ${id}`)),
        );
      },
    });
    const plan = createPlan(INTENT, [
      check("a1", "a", false),
      check("b1", "b", true),
      check("b2", "b", false),
      check("c1", "c", false),
    ])._unsafeUnwrap();
    expect((await runPlan(plan, options)).isOk()).toBe(true);
    const at = (entry: string) => order.indexOf(entry);
    // b1 waits for b2 to start: it can only end if both run at once.
    expect(at("start b2")).toBeLessThan(at("end b1"));
    expect(at("end a1")).toBeLessThan(at("start b1"));
    expect(Math.max(at("end b1"), at("end b2"))).toBeLessThan(at("start c1"));
    expect(order).toHaveLength(8);
  });

  it("refuses when a check fails: nothing changes, the check's hint is carried", async () => {
    const { world, journal, lock, events, options } = setup();
    const specs: StepSpec[] = [{ id: "k1", kind: "check", fail: true }, ...BASIC.slice(2)];
    const error = (await runPlan(world.plan(specs), options))._unsafeUnwrapErr();
    expect(error).toMatchObject({ kind: "refused", hint: "hint for k1" });
    expect(error.message).toContain("k1");
    expect(world.calls).toEqual(["check:k1:fail"]);
    expect(error.report?.state).toBe("refused");
    expect(error.report?.steps.map((s) => s.outcome)).toEqual([
      "failed",
      "skipped",
      "skipped",
      "skipped",
      "skipped",
    ]);
    expect(transitions(events)).toEqual(["planned→locked", "locked→checking", "checking→refused"]);
    const records = (await journal.read(error.runId!))._unsafeUnwrap();
    expect(replayRun(records)._unsafeUnwrap()).toEqual(error.report);
    expect((await lock.inspect("staging"))._unsafeUnwrap()).toBeNull();
  });

  it("syncs the journal before every side effect and at the end; checks, verifications and change ends ride along", async () => {
    const world = new World();
    const { options } = setup(world);
    const synced: { type: string; stepId?: string; sync: boolean }[] = [];
    const memory = new MemoryJournal();
    const journal: Journal = {
      name: "spy",
      append: (runId, record, o) => {
        const e = record.event;
        synced.push({ type: e.type, ...("stepId" in e ? { stepId: e.stepId } : {}), sync: o?.sync ?? true });
        return memory.append(runId, record);
      },
      read: (runId) => memory.read(runId),
      list: () => memory.list(),
    };
    const specs: StepSpec[] = [
      { id: "k1", kind: "check" },
      { id: "c1", kind: "change" },
      { id: "c2", kind: "change", fail: true },
      { id: "v1", kind: "verify" },
    ];
    (await runPlan(world.plan(specs), { ...options, journal }))._unsafeUnwrapErr();
    const flag = (type: string, stepId?: string) =>
      synced.find((r) => r.type === type && r.stepId === stepId)?.sync;
    expect(flag("step.started", "c1")).toBe(true);
    expect(flag("step.started", "c2")).toBe(true);
    expect(flag("step.undo.started", "c1")).toBe(true);
    expect(flag("plan.finished")).toBe(true);
    expect(flag("plan.started")).toBe(false);
    expect(flag("step.succeeded", "c1")).toBe(false); // made durable by c2's start
    expect(flag("step.started", "k1")).toBe(false);
    expect(flag("step.succeeded", "k1")).toBe(false);
    // Every record before a change step's side effects is on disk by the time they run.
    const c1 = synced.findIndex((r) => r.type === "step.started" && r.stepId === "c1");
    expect(synced.slice(0, c1).every((r) => !r.sync)).toBe(true);
    expect(synced.at(-1)).toMatchObject({ type: "plan.finished", sync: true });
  });

  it("reverts completed changes newest first when a change fails", async () => {
    const { world, events, options } = setup();
    const specs: StepSpec[] = [
      { id: "c1", kind: "change" },
      { id: "c2", kind: "change" },
      { id: "c3", kind: "change", fail: true },
      { id: "c4", kind: "change" },
    ];
    const error = (await runPlan(world.plan(specs), options))._unsafeUnwrapErr();
    expect(error.kind).toBe("reverted");
    expect(error.hint).toBe("hint for c3");
    expect(error.cause).toMatchObject({ driver: "fake", op: "c3" });
    expect(world.calls).toEqual(["run:c1", "run:c2", "fail:c3", "undo:c2", "undo:c1"]);
    expect(world.applied.size).toBe(0);
    expect(world.badUndoOutputs).toEqual([]);
    expect(error.report?.steps.map((s) => s.outcome)).toEqual(["undone", "undone", "failed", "skipped"]);
    expect(transitions(events)).toEqual([
      "planned→locked",
      "locked→checking",
      "checking→changing",
      "changing→reverting",
      "reverting→reverted",
    ]);
    const failed = events.find((e) => e.type === "step.failed");
    expect(failed).toMatchObject({ error: { stepId: "c3", driver: "fake", op: "c3", reason: "failed" } });
    expect(failed && "error" in failed && "cause" in failed.error!).toBe(false);
  });

  it("reverts when a verification fails", async () => {
    const { world, options } = setup();
    const specs: StepSpec[] = [
      { id: "c1", kind: "change" },
      { id: "c2", kind: "change" },
      { id: "v1", kind: "verify", fail: true },
    ];
    const error = (await runPlan(world.plan(specs), options))._unsafeUnwrapErr();
    expect(error.kind).toBe("reverted");
    expect(world.calls).toEqual(["run:c1", "run:c2", "verify:v1:fail", "undo:c2", "undo:c1"]);
  });

  it("ends revert_failed, stopping at the undo that failed, and says what is still applied", async () => {
    const { world, options } = setup();
    const specs: StepSpec[] = [
      { id: "c1", kind: "change" },
      { id: "c2", kind: "change", undoFails: true },
      { id: "c3", kind: "change" },
      { id: "c4", kind: "change", fail: true },
    ];
    const error = (await runPlan(world.plan(specs), options))._unsafeUnwrapErr();
    expect(error.kind).toBe("revert_failed");
    expect(world.calls).toEqual(["run:c1", "run:c2", "run:c3", "fail:c4", "undo:c3", "undo:c2"]);
    expect(error.message).toContain("undo of c2 failed");
    expect(error.message).toContain("still applied: c1, c2");
    expect(error.report?.state).toBe("revert_failed");
    expect(error.report?.error?.stepId).toBe("c2");
    expect(error.report?.steps.map((s) => s.outcome)).toEqual([
      "succeeded",
      "undo_failed",
      "undone",
      "failed",
    ]);
  });

  it("treats a completed change without undo as a failed revert", async () => {
    const { world, options } = setup();
    const specs: StepSpec[] = [
      { id: "c1", kind: "change", noUndo: true },
      { id: "c2", kind: "change", fail: true },
    ];
    const error = (await runPlan(world.plan(specs), options))._unsafeUnwrapErr();
    expect(error.kind).toBe("revert_failed");
    expect(error.report?.steps[0]?.error).toMatchObject({ reason: "unsupported", stepId: "c1" });
  });

  it("goes checking → verifying for a plan without changes", async () => {
    const { world, events, options } = setup();
    const specs: StepSpec[] = [
      { id: "k1", kind: "check" },
      { id: "v1", kind: "verify" },
    ];
    expect((await runPlan(world.plan(specs), options)).isOk()).toBe(true);
    expect(transitions(events)).toEqual([
      "planned→locked",
      "locked→checking",
      "checking→verifying",
      "verifying→succeeded",
    ]);
  });

  it("stops at the next safe point on abort and reverts completed changes", async () => {
    const { world, events, options } = setup();
    const specs: StepSpec[] = [
      { id: "c1", kind: "change" },
      { id: "c2", kind: "change", abortHere: true },
      { id: "c3", kind: "change" },
    ];
    const error = (await runPlan(world.plan(specs), options))._unsafeUnwrapErr();
    expect(error.kind).toBe("aborted");
    expect(world.calls).toEqual(["run:c1", "run:c2", "undo:c2", "undo:c1"]);
    expect(transitions(events)).toEqual([
      "planned→locked",
      "locked→checking",
      "checking→changing",
      "changing→aborted",
      "aborted→reverting",
      "reverting→reverted",
    ]);
    expect(error.report?.state).toBe("reverted");
  });

  it("aborts during the checks without changing anything", async () => {
    const { world, options } = setup();
    const specs: StepSpec[] = [
      { id: "k1", kind: "check", abortHere: true },
      { id: "k2", kind: "check" },
      { id: "c1", kind: "change" },
    ];
    const error = (await runPlan(world.plan(specs), options))._unsafeUnwrapErr();
    expect(error.kind).toBe("aborted");
    expect(error.report?.state).toBe("aborted");
    expect(world.calls).toEqual(["check:k1:ok"]);
  });

  it("does nothing when the signal is already aborted", async () => {
    const { world, journal, lock, options } = setup();
    world.abort.abort();
    const error = (await runPlan(world.plan(BASIC), options))._unsafeUnwrapErr();
    expect(error.kind).toBe("aborted");
    expect(world.calls).toEqual([]);
    expect((await journal.list())._unsafeUnwrap()).toEqual([]);
    expect((await lock.inspect("staging"))._unsafeUnwrap()).toBeNull();
  });

  it("gives a step that outlives its timeout a timeout error and aborts its signal", async () => {
    const world = new World();
    const { options } = setup(world);
    let signalled = false;
    const slow: Step = {
      id: "slow",
      title: "never answers",
      kind: "change",
      timeoutMs: 20,
      describe: () => [],
      run: (ctx) => {
        ctx.signal.addEventListener("abort", () => {
          signalled = true;
        });
        return ResultAsync.fromSafePromise(new Promise<never>(() => undefined));
      },
    };
    const plan = createPlan(INTENT, [world.step({ id: "c1", kind: "change" }), slow])._unsafeUnwrap();
    const error = (await runPlan(plan, options))._unsafeUnwrapErr();
    expect(error.kind).toBe("reverted");
    expect(signalled).toBe(true);
    expect(error.report?.steps[1]).toMatchObject({
      outcome: "failed",
      error: { reason: "timeout", stepId: "slow" },
    });
    expect(world.calls).toEqual(["run:c1", "undo:c1"]);
  });

  it("turns a step that throws into a failed step", async () => {
    const world = new World();
    const { options } = setup(world);
    const thrower: Step = {
      id: "thrower",
      title: "throws",
      kind: "check",
      describe: () => [],
      run: () => {
        throw new Error("oops");
      },
    };
    const error = (await runPlan(createPlan(INTENT, [thrower])._unsafeUnwrap(), options))._unsafeUnwrapErr();
    expect(error.kind).toBe("refused");
    expect(error.report?.steps[0]?.error?.message).toContain("oops");
  });

  it("refuses destructive steps without acknowledgeDataLoss: nothing runs, nothing is journaled", async () => {
    const { world, journal, lock, options } = setup();
    const specs: StepSpec[] = [{ id: "wipe", kind: "change", destructive: true }];
    const error = (await runPlan(world.plan(specs), options))._unsafeUnwrapErr();
    expect(error.kind).toBe("needs_acknowledgement");
    expect(error.message).toContain("wipe");
    expect(world.calls).toEqual([]);
    expect((await journal.list())._unsafeUnwrap()).toEqual([]);
    expect((await lock.inspect("staging"))._unsafeUnwrap()).toBeNull();
    const acknowledged = await runPlan(world.plan(specs), { ...options, acknowledgeDataLoss: true });
    expect(acknowledged.isOk()).toBe(true);
    expect(world.calls).toEqual(["run:wipe"]);
  });

  it("passes outputs to later steps and to undo", async () => {
    const world = new World();
    const { options } = setup(world);
    let seen: unknown;
    const reader: Step = {
      id: "reader",
      title: "reads c1's output",
      kind: "change",
      describe: () => [],
      run: (ctx) => {
        seen = ctx.output(stepHandle<{ token: string }>("c1"));
        return okAsync({ n: 1 });
      },
    };
    const plan = createPlan(INTENT, [
      world.step({ id: "c1", kind: "change" }),
      reader,
      world.step({ id: "c3", kind: "change", fail: true }),
    ])._unsafeUnwrap();
    const error = (await runPlan(plan, { ...options, owner: undefined }))._unsafeUnwrapErr();
    expect(seen).toEqual({ token: "before-c1" });
    expect(world.badUndoOutputs).toEqual([]);
    expect(error.report?.steps[1]?.output).toEqual({ n: 1 });
    expect(error.report?.owner).toMatch(/^.+@.+ pid \d+$/);
  });

  it("says lock_held naming the owner when another run holds the environment", async () => {
    const { world, journal, lock, options } = setup();
    await lock.acquire("staging", { owner: "bob@ops pid 9 run r0", ttlMs: 60_000 });
    const error = (await runPlan(world.plan(BASIC), options))._unsafeUnwrapErr();
    expect(error).toMatchObject({ kind: "lock_held", owner: "bob@ops pid 9 run r0", stale: false });
    expect(world.calls).toEqual([]);
    expect((await journal.list())._unsafeUnwrap()).toEqual([]);
  });

  it("reports a stale lease as stale and does not break it", async () => {
    const world = new World();
    const clock = manualClock();
    const { journal, options } = setup(world);
    const lock = new MemoryLeaseLock({ now: clock.now });
    await lock.acquire("staging", { owner: "bob run r0", ttlMs: 1_000 });
    clock.advance(5_000);
    const error = (await runPlan(world.plan(BASIC), { ...options, lock }))._unsafeUnwrapErr();
    expect(error).toMatchObject({ kind: "lock_held", owner: "bob run r0", stale: true });
    expect((await lock.inspect("staging"))._unsafeUnwrap()?.lease.owner).toBe("bob run r0");
    expect((await journal.list())._unsafeUnwrap()).toEqual([]);
  });

  it("lets exactly one of two runners racing for one environment proceed", async () => {
    const dir = await tempDir();
    const worlds = [new World(), new World()];
    const results = await Promise.all(
      worlds.map((world, i) =>
        runPlan(world.plan(BASIC), {
          journal: new FileJournal({ dir: join(dir, "journal") }),
          lock: new FileLeaseLock({ dir: join(dir, "locks") }),
          owner: `runner ${i}`,
        }),
      ),
    );
    expect(results.filter((r) => r.isOk())).toHaveLength(1);
    const loser = results.find((r) => r.isErr())!._unsafeUnwrapErr();
    const winner = results.findIndex((r) => r.isOk());
    expect(loser.kind).toBe("lock_held");
    expect(loser.owner).toContain(`runner ${winner}`);
    expect(worlds[1 - winner]!.calls).toEqual([]);
  });

  it("renews the lease while the run lasts, then releases it", async () => {
    const world = new World();
    const { lock, options } = setup(world);
    let seen: { acquiredAt: string; expiresAt: string } | undefined;
    const slow: Step = {
      id: "slow",
      title: "takes longer than the lease",
      kind: "change",
      describe: () => [],
      run: () =>
        ResultAsync.fromSafePromise(new Promise((r) => setTimeout(r, 200)))
          .andThen(() =>
            lock.inspect("staging").map((status) => {
              seen = status?.lease;
              return null;
            }),
          )
          .mapErr((e) => stepError("slow", e.reason, e.message)),
    };
    const plan = createPlan(INTENT, [slow])._unsafeUnwrap();
    expect((await runPlan(plan, { ...options, lockTtlMs: 30 })).isOk()).toBe(true);
    expect(Date.parse(seen!.expiresAt) - Date.parse(seen!.acquiredAt)).toBeGreaterThan(30);
    expect((await lock.inspect("staging"))._unsafeUnwrap()).toBeNull();
  });

  it("stops at the next safe point when the lease is lost, touching nothing more", async () => {
    const world = new World();
    const clock = manualClock();
    const { journal, options } = setup(world);
    const lock = new MemoryLeaseLock({ now: clock.now });
    const thief: Step = {
      id: "thief",
      title: "someone breaks the lease meanwhile",
      kind: "change",
      describe: () => [],
      run: () => {
        clock.advance(120_000);
        return lock
          .breakStale("staging")
          .andThen(() => lock.acquire("staging", { owner: "intruder", ttlMs: 600_000 }))
          .andThen(() => ResultAsync.fromSafePromise(new Promise((r) => setTimeout(r, 100))))
          .map(() => null)
          .mapErr((e) => stepError("thief", e.reason, e.message));
      },
    };
    const plan = createPlan(INTENT, [
      world.step({ id: "c1", kind: "change" }),
      thief,
      world.step({ id: "c2", kind: "change" }),
    ])._unsafeUnwrap();
    const error = (
      await runPlan(plan, { ...options, lock, lockTtlMs: 30, now: clock.now })
    )._unsafeUnwrapErr();
    expect(error.kind).toBe("lock_held");
    expect(world.calls).toEqual(["run:c1"]);
    const records = (await journal.read(error.runId!))._unsafeUnwrap();
    expect(records.some((r) => r.event.type === "plan.finished")).toBe(false);
    expect((await lock.inspect("staging"))._unsafeUnwrap()?.lease.owner).toBe("intruder");
  });

  it("stops with journal_failed when the journal cannot be written, keeping the lease", async () => {
    const { world, lock, options } = setup();
    const journal = new CrashingJournal(new MemoryJournal(), 6);
    const error = (await runPlan(world.plan(BASIC), { ...options, journal }))._unsafeUnwrapErr();
    expect(error.kind).toBe("journal_failed");
    expect(error.hint).toContain("resume");
    const records = (await journal.read(error.runId!))._unsafeUnwrap();
    expect(records).toHaveLength(6);
    expect(replayRun(records)._unsafeUnwrap()).toEqual(error.report);
    expect((await lock.inspect("staging"))._unsafeUnwrap()?.lease.owner).toContain(error.runId);
  });

  it("releases the lease when not even plan.started could be journaled", async () => {
    const { world, lock, options } = setup();
    const journal = new CrashingJournal(new MemoryJournal(), 0);
    const error = (await runPlan(world.plan(BASIC), { ...options, journal }))._unsafeUnwrapErr();
    expect(error.kind).toBe("journal_failed");
    expect(world.calls).toEqual([]);
    expect((await lock.inspect("staging"))._unsafeUnwrap()).toBeNull();
  });

  it("ignores an observer that throws", async () => {
    const { world, options } = setup();
    const result = await runPlan(world.plan(BASIC), {
      ...options,
      onEvent: () => {
        throw new Error("observer bug");
      },
    });
    expect(result.isOk()).toBe(true);
  });

  it("uses the given run id and clock", async () => {
    const { world, journal, options } = setup();
    const clock = manualClock();
    const report = (
      await runPlan(world.plan(BASIC), { ...options, runId: "my-run-1", now: clock.now })
    )._unsafeUnwrap();
    expect(report.runId).toBe("my-run-1");
    expect(report.startedAt).toBe("2026-11-26T05:33:00.000Z");
    expect((await journal.list())._unsafeUnwrap()).toEqual(["my-run-1"]);
    const again = (await runPlan(world.plan(BASIC), { ...options, runId: "my-run-1" }))._unsafeUnwrapErr();
    expect(again.kind).toBe("invalid_input");
  });
});

describe("runPlan input", () => {
  const bad: [string, (o: RunOptions) => unknown][] = [
    ["no journal", (o) => ({ ...o, journal: undefined })],
    ["a lock without methods", (o) => ({ ...o, lock: {} })],
    ["a run id with a slash", (o) => ({ ...o, runId: "../x" })],
    ["an empty owner", (o) => ({ ...o, owner: "" })],
    ["a negative ttl", (o) => ({ ...o, lockTtlMs: -1 })],
    ["a signal that is not an AbortSignal", (o) => ({ ...o, signal: {} })],
    ["acknowledgeDataLoss as a string", (o) => ({ ...o, acknowledgeDataLoss: "yes" })],
    ["options that are not an object", () => "fast"],
  ];
  for (const [what, make] of bad) {
    it(`refuses ${what} with invalid_input and no side effect`, async () => {
      const { world, journal, lock, options } = setup();
      const error = (await runPlan(world.plan(BASIC), make(options) as RunOptions))._unsafeUnwrapErr();
      expect(error.kind).toBe("invalid_input");
      expect(world.calls).toEqual([]);
      expect((await journal.list())._unsafeUnwrap()).toEqual([]);
      expect((await lock.inspect("staging"))._unsafeUnwrap()).toBeNull();
    });
  }

  it("refuses a plan whose env is not a name, or that breaks the plan rules", async () => {
    const { world, journal, options } = setup();
    const badEnv = { ...world.plan(BASIC), intent: { ...INTENT, env: "../prod" } };
    expect((await runPlan(badEnv, options))._unsafeUnwrapErr().kind).toBe("invalid_input");
    const step = world.step({ id: "c1", kind: "change" });
    const twice = { ...world.plan(BASIC), steps: [step, step] };
    expect((await runPlan(twice, options))._unsafeUnwrapErr().kind).toBe("invalid_input");
    expect((await runPlan(null as never, options))._unsafeUnwrapErr().kind).toBe("invalid_input");
    expect(world.calls).toEqual([]);
    expect((await journal.list())._unsafeUnwrap()).toEqual([]);
  });

  it("refuses a bad run id in loadRun, and says not_found for an unknown one", async () => {
    const journal = new MemoryJournal();
    expect((await loadRun(journal, "../etc/passwd"))._unsafeUnwrapErr().kind).toBe("invalid_input");
    expect((await loadRun(journal, "20261126T053300Z-000000"))._unsafeUnwrapErr().kind).toBe("not_found");
  });
});
