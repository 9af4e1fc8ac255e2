import { describe, expect, it } from "vitest";
import { runSchema } from "../../packages/cli/src/cli-args";

/**
 * `--actor` and `--reason` use the core's shared rules (a login-like name, one line of
 * printable text): a bidi override, isolate or line separator in the reason is a usage
 * error at the edge, like a control character.
 */
describe("rollback CLI: --actor and --reason", () => {
  for (const reason of ["\u202eevil", "a\u2066b\u2069", "line\u2028two", "para\u2029two", "a\nb", ""])
    it(`refuses --reason ${JSON.stringify(reason)}`, () => {
      const parsed = runSchema.safeParse({ reason });
      expect(parsed.success).toBe(false);
      expect(parsed.error?.issues[0]?.path).toEqual(["reason"]);
    });

  for (const actor of ["alice smith", "alice\u202e", "-x", ""])
    it(`refuses --actor ${JSON.stringify(actor)}`, () => {
      expect(runSchema.safeParse({ actor }).success).toBe(false);
    });

  it("accepts a login-like actor and a printable reason", () => {
    const parsed = runSchema.safeParse({ actor: "alice@ops-1", reason: "green 500s; flip back (#42)" });
    expect(parsed.success).toBe(true);
  });
});
