import { describe, expect, it } from "vitest";
import { MemoryJournal, MemoryLeaseLock, type PlanIntent, runPlan } from "../src/index";
import { INTENT, World } from "./support/world";

/**
 * runPlan checks a hand-built plan's intent with the rules the recipes apply to theirs:
 * a recipe path, colors and a SHA that are names, a login-like actor, a one-line reason.
 * The intent reaches the journal, the history line (actor) and every terminal that prints
 * the plan, so a hostile value is refused before the lock is taken or a step runs.
 */

const HOSTILE: readonly [keyof PlanIntent, string][] = [
  ["path", "$(touch /tmp/pwn)"],
  ["path", "fast-flip\nx"],
  ["from", "; rm -rf /"],
  ["to", "blue\u202e"],
  ["sha", "--exec=x"],
  ["actor", "alice\u202e"],
  ["actor", "alice; reboot"],
  ["reason", "\ntouch /tmp/pwn\n"],
  ["reason", "line\u2028two"],
  ["reason", ""],
];

describe("runPlan: the intent of a hand-built plan", () => {
  for (const [field, value] of HOSTILE)
    it(`refuses intent.${field} = ${JSON.stringify(value)} before anything runs`, async () => {
      const world = new World();
      const lock = new MemoryLeaseLock();
      const journal = new MemoryJournal();
      const plan = world.plan([{ id: "c1", kind: "change" }], { ...INTENT, [field]: value });
      const error = (await runPlan(plan, { journal, lock }))._unsafeUnwrapErr();
      expect(error.kind).toBe("invalid_input");
      expect(error.message).toContain(`intent.${field}`);
      expect(world.calls).toEqual([]);
      expect((await lock.inspect(INTENT.env))._unsafeUnwrap()).toBeNull();
      expect((await journal.list())._unsafeUnwrap()).toEqual([]);
    });

  it("runs an intent of names and one line of reason", async () => {
    const world = new World();
    const intent: PlanIntent = {
      ...INTENT,
      path: "warm-idle",
      from: "blue",
      to: "green",
      sha: "a".repeat(40),
      actor: "alice@ops-1",
      reason: "green 500s since the deploy; flip back (ticket #42)",
    };
    const report = await runPlan(world.plan([{ id: "c1", kind: "change" }], intent), {
      journal: new MemoryJournal(),
      lock: new MemoryLeaseLock(),
    });
    expect(report._unsafeUnwrap().state).toBe("succeeded");
  });
});
