import { join } from "node:path";
import { errAsync, ok, okAsync, ResultAsync } from "neverthrow";
import { describe, expect, it } from "vitest";
import {
  type AppendOptions,
  createPlan,
  driverError,
  type Fence,
  FileJournal,
  FileLeaseLock,
  type Journal,
  type JournalRecord,
  type Lease,
  type LeaseLock,
  MemoryJournal,
  MemoryLeaseLock,
  resumeRun,
  runPlan,
  type Step,
  type StepContext,
  stepError,
} from "../src/index";
import { tempDirs } from "./support/temp-dirs";
import { CrashingJournal, INTENT, manualClock, type StepSpec, World } from "./support/world";

const tempDir = tempDirs("backflip-run-lease-");

const BASIC: StepSpec[] = [
  { id: "k1", kind: "check" },
  { id: "c1", kind: "change" },
  { id: "v1", kind: "verify" },
];

/** A lock whose renewals (and releases, with `hangRelease`) fail the given way; the rest is `inner`'s. */
function faultyLock(
  inner: LeaseLock,
  renew: "unavailable" | "hang" | "ok",
  hangRelease = false,
): LeaseLock & { renewals: number } {
  const never = <T>() => new ResultAsync<T, never>(new Promise(() => undefined));
  const lock = {
    name: "faulty",
    renewals: 0,
    acquire: (key: string, options: { owner: string; ttlMs: number }) => inner.acquire(key, options),
    renew: (lease: Lease, ttlMs: number) => {
      lock.renewals++;
      if (renew === "hang") return never<Lease>();
      if (renew === "unavailable")
        return errAsync(
          driverError({ driver: "faulty", op: "renew", reason: "unavailable", message: "lock store down" }),
        );
      return inner.renew(lease, ttlMs);
    },
    release: (lease: Lease) => (hangRelease ? never<void>() : inner.release(lease)),
    inspect: (key: string) => inner.inspect(key),
    breakStale: (key: string) => inner.breakStale(key),
  };
  return lock;
}

/** A change step that moves `clock` on by `ms` while it runs (a long step on the run's clock). */
function slowStep(id: string, world: World, clock: { advance: (ms: number) => number }, ms: number): Step {
  return {
    id,
    title: `takes ${ms} ms`,
    kind: "change",
    describe: () => [],
    run: () => {
      clock.advance(ms);
      world.calls.push(`run:${id}`);
      return okAsync(null);
    },
    undo: () => {
      world.calls.push(`undo:${id}`);
      return okAsync(undefined);
    },
  };
}

/** A change step that really waits `ms` (real time). */
function sleepingStep(id: string, world: World, ms: number): Step {
  return {
    id,
    title: `sleeps ${ms} ms`,
    kind: "change",
    describe: () => [],
    run: () => {
      world.calls.push(`run:${id}`);
      return ResultAsync.fromSafePromise(new Promise((r) => setTimeout(r, ms))).map(() => null);
    },
    undo: () => {
      world.calls.push(`undo:${id}`);
      return okAsync(undefined);
    },
  };
}

describe("runPlan and its lease", () => {
  it("reverts what it may once a renewal fails and the lease's time has run out (not only on conflict): the undo carries the fence", async () => {
    const world = new World();
    const clock = manualClock();
    const lock = faultyLock(new MemoryLeaseLock({ now: clock.now }), "unavailable");
    const journal = new MemoryJournal();
    const plan = createPlan(INTENT, [
      slowStep("c1", world, clock, 120_000),
      world.step({ id: "c2", kind: "change" }),
    ])._unsafeUnwrap();
    const error = (await runPlan(plan, { journal, lock, now: clock.now }))._unsafeUnwrapErr();
    expect(error.kind).toBe("reverted");
    expect(error.message).toContain("could no longer be proven held");
    expect(error.cause?.reason).toBe("unavailable");
    expect(world.calls).toEqual(["run:c1", "undo:c1"]);
    const records = (await journal.read(error.runId!))._unsafeUnwrap();
    expect(records.at(-1)?.event).toMatchObject({ type: "plan.finished", state: "reverted" });
  });

  it("stops without undoing anything once another holder has the lease (a renewal answered conflict)", async () => {
    const world = new World();
    const clock = manualClock();
    const inner = new MemoryLeaseLock({ now: clock.now });
    const lock: LeaseLock = {
      ...faultyLock(inner, "ok"),
      renew: (lease: Lease) =>
        errAsync(
          driverError({
            driver: "faulty",
            op: "renew",
            reason: "conflict",
            message: `lease ${lease.token} was lost: bob holds it`,
          }),
        ),
    };
    const journal = new MemoryJournal();
    const plan = createPlan(INTENT, [
      slowStep("c1", world, clock, 120_000),
      world.step({ id: "c2", kind: "change" }),
    ])._unsafeUnwrap();
    const error = (await runPlan(plan, { journal, lock, now: clock.now }))._unsafeUnwrapErr();
    expect(error.kind).toBe("lock_held");
    expect(error.cause?.reason).toBe("conflict");
    expect(world.calls).toEqual(["run:c1"]);
    const records = (await journal.read(error.runId!))._unsafeUnwrap();
    expect(records.some((r) => r.event.type === "plan.finished")).toBe(false);
  });

  it("goes on past the first grant's expiry when a renewal made at the safe point succeeds", async () => {
    const world = new World();
    const clock = manualClock();
    const lock = faultyLock(new MemoryLeaseLock({ now: clock.now }), "ok");
    const plan = createPlan(INTENT, [
      slowStep("c1", world, clock, 120_000),
      world.step({ id: "c2", kind: "change" }),
    ])._unsafeUnwrap();
    const report = (
      await runPlan(plan, { journal: new MemoryJournal(), lock, now: clock.now })
    )._unsafeUnwrap();
    expect(report.state).toBe("succeeded");
    expect(world.calls).toEqual(["run:c1", "run:c2"]);
    expect(lock.renewals).toBeGreaterThan(0);
    expect((await lock.inspect("staging"))._unsafeUnwrap()).toBeNull();
  });

  it("judges the lease by its granted duration, not by comparing clocks: a lock whose clock is a year off still holds it", async () => {
    for (const offsetMs of [-365 * 86_400_000, 365 * 86_400_000]) {
      const world = new World();
      const clock = manualClock();
      const lockClock = () => new Date(clock.now().getTime() + offsetMs);
      const lock = new MemoryLeaseLock({ now: lockClock });
      const plan = world.plan([{ id: "c1", kind: "change" }]);
      const report = (
        await runPlan(plan, { journal: new MemoryJournal(), lock, now: clock.now })
      )._unsafeUnwrap();
      expect(report.state).toBe("succeeded");
      expect(world.calls).toEqual(["run:c1"]);
    }
  });

  it("settles, reverted, when renewals never answer", async () => {
    const world = new World();
    const lock = faultyLock(new MemoryLeaseLock(), "hang", true);
    const plan = createPlan(INTENT, [
      sleepingStep("slow", world, 200),
      world.step({ id: "c2", kind: "change" }),
    ])._unsafeUnwrap();
    const error = (
      await runPlan(plan, { journal: new MemoryJournal(), lock, lockTtlMs: 60 })
    )._unsafeUnwrapErr();
    expect(error.kind).toBe("reverted");
    expect(error.cause?.reason).toBe("timeout");
    expect(world.calls).toEqual(["run:slow", "undo:slow"]);
  });

  it("settles with lock_held, running nothing, when the lock never answers acquire (runPlan and resumeRun)", async () => {
    const world = new World();
    const journal = new MemoryJournal();
    const inner = new MemoryLeaseLock();
    const mute: LeaseLock = {
      ...faultyLock(inner, "ok"),
      acquire: () => new ResultAsync<Lease, never>(new Promise(() => undefined)),
    };
    const plan = world.plan([{ id: "c1", kind: "change" }]);
    const error = (await runPlan(plan, { journal, lock: mute, lockTtlMs: 90 }))._unsafeUnwrapErr();
    expect(error.kind).toBe("lock_held");
    expect(error.cause?.reason).toBe("timeout");
    const crashed = (
      await runPlan(plan, { journal: new CrashingJournal(journal, 3), lock: inner })
    )._unsafeUnwrapErr();
    expect(crashed.kind).toBe("journal_failed");
    const resumed = (
      await resumeRun(crashed.runId!, {
        journal,
        lock: mute,
        lockTtlMs: 90,
        rebuild: (intent) => ok(world.plan([{ id: "c1", kind: "change" }], intent)),
      })
    )._unsafeUnwrapErr();
    expect(resumed.kind).toBe("lock_held");
    expect(world.calls).toEqual([]);
  });

  it("settles when the release never answers", async () => {
    const world = new World();
    const lock = faultyLock(new MemoryLeaseLock(), "ok", true);
    const result = await runPlan(world.plan([{ id: "c1", kind: "change" }]), {
      journal: new MemoryJournal(),
      lock,
      lockTtlMs: 300,
    });
    expect(result._unsafeUnwrap().state).toBe("succeeded");
  });

  it("hands the lease's fence to every step, its undo included, and to every journal append", async () => {
    const world = new World();
    const lock = new MemoryLeaseLock();
    const seen: (Fence | undefined)[] = [];
    const appended: (Fence | undefined)[] = [];
    const inner = new MemoryJournal();
    const journal: Journal = {
      name: "recording",
      append: (runId: string, record: JournalRecord, options?: AppendOptions) => {
        appended.push(options?.fence);
        return inner.append(runId, record);
      },
      read: (runId) => inner.read(runId),
      list: () => inner.list(),
    };
    const record = (ctx: StepContext) => {
      seen.push(ctx.fence);
      return okAsync(undefined);
    };
    const plan = createPlan(INTENT, [
      { id: "c1", title: "c1", kind: "change", describe: () => [], run: record, undo: record },
      {
        id: "v1",
        title: "v1",
        kind: "verify",
        describe: () => [],
        run: (ctx) => {
          seen.push(ctx.fence);
          return errAsync(stepError("v1", "failed", "bad"));
        },
      },
    ])._unsafeUnwrap();
    let token: number | undefined;
    const error = (
      await runPlan(plan, {
        journal,
        lock,
        onEvent: (e) => {
          if (e.type === "plan.started") token = lock.currentToken("staging");
        },
      })
    )._unsafeUnwrapErr();
    expect(error.kind).toBe("reverted");
    expect(token).toBeGreaterThan(0);
    const fence = { key: "staging", token, issuer: lock.issuer };
    expect(seen).toEqual([fence, fence, fence]);
    expect(appended.length).toBeGreaterThan(5);
    for (const f of appended) expect(f).toEqual(fence);
    expect(world.calls).toEqual([]);
  });

  it("is stopped by a fenced journal once another holder broke and retook its lease mid-step", async () => {
    const world = new World();
    const clock = manualClock();
    const lock = new MemoryLeaseLock({ now: clock.now });
    const journal = new MemoryJournal({ fencedBy: lock });
    const thief: Step = {
      id: "thief",
      title: "the lease is broken and retaken while this step runs",
      kind: "change",
      describe: () => [],
      run: () => {
        clock.advance(120_000);
        return lock
          .breakStale("staging")
          .andThen(() => lock.acquire("staging", { owner: "intruder", ttlMs: 600_000 }))
          .map(() => null)
          .mapErr((e) => stepError("thief", e.reason, e.message));
      },
    };
    const plan = createPlan(INTENT, [thief, world.step({ id: "c2", kind: "change" })])._unsafeUnwrap();
    const error = (await runPlan(plan, { journal, lock, now: clock.now }))._unsafeUnwrapErr();
    expect(error.kind).toBe("lock_held");
    expect(error.cause?.details).toMatchObject({ fenced: true });
    expect(world.calls).toEqual([]);
    const records = (await journal.read(error.runId!))._unsafeUnwrap();
    expect(records.at(-1)?.event).toMatchObject({ type: "step.started", stepId: "thief" });
    expect((await lock.inspect("staging"))._unsafeUnwrap()?.lease.owner).toBe("intruder");
  });

  it("runs to the end with a file journal fenced by its file lock", async () => {
    const dir = await tempDir();
    const world = new World();
    const lock = new FileLeaseLock({ dir: join(dir, "locks") });
    const journal = new FileJournal({ dir: join(dir, "journal"), fencedBy: lock });
    const report = (await runPlan(world.plan(BASIC), { journal, lock }))._unsafeUnwrap();
    expect(report.state).toBe("succeeded");
    const other = new FileJournal({ dir: join(dir, "journal"), fencedBy: new FileLeaseLock({ dir }) });
    const foreign = await other.append(
      "r2",
      { seq: 0, event: (await journal.read(report.runId))._unsafeUnwrap()[0]!.event },
      {
        fence: { key: "staging", token: 1, issuer: lock.issuer },
      },
    );
    expect(foreign._unsafeUnwrapErr()).toMatchObject({ reason: "conflict", details: { fenced: true } });
  });
});
