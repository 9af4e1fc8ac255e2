import { type Database, driverError } from "@backflip/core";
import { runDatabaseConformance } from "@backflip/core/testing";
import { supports } from "@backflip/core/testing/fakes";
import { errAsync, okAsync } from "neverthrow";
import { describe, expect, it } from "vitest";

const fail = (op: string, reason: "invalid_input" | "failed" | "aborted" | "unsupported", message: string) =>
  errAsync(driverError({ driver: "kv", op, reason, message }));

/**
 * A key-value store whose scripts are `set KEY;` and `fail;` statements, applied all or
 * nothing. It has no golang-migrate table, so it declares `migration-state` unsupported
 * rather than inventing one.
 */
function kvDatabase(keys: Set<string>): Database {
  return {
    name: "kv",
    applySql: (sql, options = {}) => {
      const timeouts = [options.statementTimeoutMs, options.lockTimeoutMs];
      if (sql.trim() === "" || timeouts.some((t) => t !== undefined && t <= 0))
        return fail("applySql", "invalid_input", "empty script or non-positive timeout");
      if (options.signal?.aborted) return fail("applySql", "aborted", "aborted before it ran");
      const staged = new Set(keys);
      for (const statement of sql
        .split(";")
        .map((s) => s.trim())
        .filter(Boolean)) {
        if (statement === "fail") return fail("applySql", "failed", "the script failed; nothing applied");
        staged.add(statement.replace(/^set /, ""));
      }
      for (const key of staged) keys.add(key);
      return okAsync(undefined);
    },
    migrationState: () => fail("migrationState", "unsupported", "kv has no schema_migrations"),
  };
}

runDatabaseConformance({
  name: "kv store without migrations (declares migration-state unsupported)",
  unsupported: ["migration-state"],
  setup: async () => {
    const keys = new Set<string>();
    return {
      port: kvDatabase(keys),
      fixtures: {
        goodScript: "set good-1; set good-2;",
        failingScript: "set failing-1; fail; set failing-2;",
        effectsVisible: async (script) => [...keys].some((k) => k.startsWith(script)),
        setMigrationState: async () => {
          throw new Error("not called when migration-state is unsupported");
        },
      },
    };
  },
});

describe("supports", () => {
  it("is true unless the target lists the capability as unsupported", () => {
    expect(supports({}, "snapshots")).toBe(true);
    expect(supports({ unsupported: ["delete"] }, "snapshots")).toBe(true);
    expect(supports({ unsupported: ["delete", "snapshots"] }, "snapshots")).toBe(false);
  });
});
