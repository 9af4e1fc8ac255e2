import { describe, expect, it } from "vitest";
import { fenceSchema } from "../src/driver-kit/index";
import { MemoryJournal, MemoryLeaseLock, runPlan } from "../src/index";
import { INTENT, World } from "./support/world";

/**
 * The runner's and the lock's free-text fields go through the shared validator
 * (`freeTextSchema`): a bidi override, an isolate or a line separator is refused like a
 * control character, before the lock is taken or a step runs.
 */

/** Characters `/^[^\p{Cc}]*$/` let through that reorder or split what a reader sees. */
const UNSAFE_NOT_CONTROL = ["\u202eevil", "a\u2066b\u2069", "line\u2028two", "para\u2029two"];

describe("free-text fields use the shared validator", () => {
  for (const owner of [...UNSAFE_NOT_CONTROL, "a\nb", ""])
    it(`runPlan refuses owner ${JSON.stringify(owner)} before anything runs`, async () => {
      const world = new World();
      const lock = new MemoryLeaseLock();
      const error = (
        await runPlan(world.plan([{ id: "c1", kind: "change" }]), {
          journal: new MemoryJournal(),
          lock,
          owner,
        })
      )._unsafeUnwrapErr();
      expect(error.kind).toBe("invalid_input");
      expect(error.message).toContain("owner");
      expect(world.calls).toEqual([]);
      expect((await lock.inspect(INTENT.env))._unsafeUnwrap()).toBeNull();
    });

  it("runPlan accepts a printable owner", async () => {
    const world = new World();
    const report = await runPlan(world.plan([{ id: "c1", kind: "change" }]), {
      journal: new MemoryJournal(),
      lock: new MemoryLeaseLock(),
      owner: "alice@host pid 1",
    });
    expect(report._unsafeUnwrap().state).toBe("succeeded");
  });

  for (const owner of [...UNSAFE_NOT_CONTROL, "a\u0085b", ""])
    it(`a lease lock refuses owner ${JSON.stringify(owner)}`, async () => {
      const lock = new MemoryLeaseLock();
      const error = (await lock.acquire("staging", { owner, ttlMs: 1000 }))._unsafeUnwrapErr();
      expect(error.reason).toBe("invalid_input");
      expect(error.message).toContain("owner");
      expect((await lock.inspect("staging"))._unsafeUnwrap()).toBeNull();
    });

  for (const issuer of [...UNSAFE_NOT_CONTROL, " lead", "a\tb"])
    it(`a fence's issuer ${JSON.stringify(issuer)} is refused`, () => {
      expect(fenceSchema.safeParse({ key: "staging", token: 3, issuer }).success).toBe(false);
    });

  it("a fence's printable issuer is accepted", () => {
    expect(
      fenceSchema.safeParse({ key: "staging", token: 3, issuer: "incus:default/backflip" }).success,
    ).toBe(true);
  });
});
