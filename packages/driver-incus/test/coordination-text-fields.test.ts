import { describe, expect, it } from "vitest";
import { createIncusCoordination } from "../src/index";

/**
 * The coordination's actor and a lease's owner go through the core's shared free-text
 * rule: a bidi override, isolate or line separator is `invalid_input` like a control
 * character, before any request (the socket here does not exist).
 */
const UNSAFE = ["\u202eevil", "a\u2066b\u2069", "line\u2028two", "a\nb", ""];
const socketPath = "/nonexistent/backflip-h12/unix.socket";

describe("Incus coordination: actor and owner are one line of printable text", () => {
  for (const actor of UNSAFE)
    it(`refuses actor ${JSON.stringify(actor)}`, () => {
      const error = createIncusCoordination({ socketPath, actor })._unsafeUnwrapErr();
      expect(error.reason).toBe("invalid_input");
      expect(error.message).toContain("actor");
    });

  const { lock } = createIncusCoordination({ socketPath })._unsafeUnwrap();
  for (const owner of UNSAFE)
    it(`refuses owner ${JSON.stringify(owner)} before any request`, async () => {
      const error = (await lock.acquire("staging", { owner, ttlMs: 1000 }))._unsafeUnwrapErr();
      expect(error.reason).toBe("invalid_input");
      expect(error.message).toContain("owner");
    });
});
