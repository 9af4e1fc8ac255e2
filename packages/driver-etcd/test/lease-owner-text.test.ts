import { describe, expect, it } from "vitest";
import { createEtcdCoordination } from "../src/index";

/**
 * The etcd lease's owner goes through the core's shared free-text rule: a bidi override,
 * isolate or line separator is `invalid_input` like a control character, before any
 * request (the endpoint here answers nothing).
 */
describe("EtcdLeaseLock: the owner is one line of printable text", () => {
  const { lock } = createEtcdCoordination({ endpoints: ["http://127.0.0.1:9"] })._unsafeUnwrap();
  for (const owner of ["\u202eevil", "a\u2066b\u2069", "line\u2028two", "a\nb", ""])
    it(`refuses owner ${JSON.stringify(owner)} before any request`, async () => {
      const error = (await lock.acquire("staging", { owner, ttlMs: 1000 }))._unsafeUnwrapErr();
      expect(error.reason).toBe("invalid_input");
      expect(error.message).toContain("owner");
    });
});
