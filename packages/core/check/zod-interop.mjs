/**
 * Core's built files carry their own copy of zod (tsup `noExternal`). This check proves,
 * on the BUILT package (ESM and CJS), that core's exported schemas compose with a
 * driver's own `zod` both ways, and that the kit's parseInput validates a driver's schemas. Run by
 * `pnpm check:packages` after `pnpm build`; exits non-zero naming the first failure.
 */
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { z } from "zod";

const require = createRequire(import.meta.url);

/** Runs every composition against one build of core's main entry and driver kit. */
function check(label, core, kit, zod) {
  const runId = "20261126T053300Z-3fa9c1";
  const sha = "a".repeat(40);

  // two copies of zod really meet here
  assert.notEqual(Object.getPrototypeOf(core.runIdSchema), Object.getPrototypeOf(zod.string()), label);

  // core's schemas inside a driver's schemas
  const request = zod.object({
    runId: core.runIdSchema,
    sha: kit.shaSchema.optional(),
    runs: zod.array(core.runIdSchema).max(2),
    where: zod.union([kit.absolutePathSchema, zod.literal("here")]),
  });
  assert.equal(request.safeParse({ runId, sha, runs: [runId], where: "/etc/x" }).success, true, label);
  const bad = request.safeParse({ runId: "../etc", sha: "xyz", runs: [], where: "relative" });
  assert.equal(bad.success, false, label);
  assert.deepEqual(bad.error.issues.map((i) => i.path[0]).sort(), ["runId", "sha", "where"], label);

  // a driver's fields added to core's schema, and core's methods on the result
  const extended = kit.switchRequestSchema(["blue", "green"]).extend({ upstream: zod.string().min(1) });
  assert.ok(
    ["upstream", "color"].every((key) => key in extended.shape),
    label,
  );
  const parsed = extended.safeParse({ color: "blue", actor: "alice", runId, upstream: "" });
  assert.deepEqual(
    parsed.error?.issues.map((i) => i.path[0]),
    ["upstream"],
    label,
  );

  // the kit validating a driver's schema: parseInput's error names the driver's field
  const options = zod.object({ port: zod.number().int().min(1), runId: core.runIdSchema });
  const where = { driver: "nginx", op: "create" };
  assert.deepEqual(kit.parseInput(options, { port: 8080, runId }, where)._unsafeUnwrap(), {
    port: 8080,
    runId,
  });
  const refused = kit.parseInput(options, { port: 0, runId }, where)._unsafeUnwrapErr();
  assert.equal(refused.reason, "invalid_input", label);
  assert.match(refused.message, /^port: /, label);
}

const esmCore = await import("../dist/index.js");
const esmKit = await import("../dist/driver-kit.js");
check("ESM", esmCore, esmKit, z);
check("CJS", require("../dist/index.cjs"), require("../dist/driver-kit.cjs"), require("zod").z);
console.log("zod interop: core's bundled zod composes with a driver's zod (ESM and CJS)");
