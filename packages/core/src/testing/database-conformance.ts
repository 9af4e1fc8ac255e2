import { describe, expect, it } from "vitest";
import type { Database, MigrationState } from "../ports/database";
import { type ConformanceTarget, supports } from "./conformance-target";
import { errValue, okValue } from "./result-values";
import { withFixture } from "./with-fixture";

/** golang-migrate states a fixture can put the database in. */
export type MigrationFixtureState =
  | "no-table"
  | "no-row"
  | { readonly version: number; readonly dirty: boolean };

/**
 * Optional parts of the Database contract: `migration-state` is golang-migrate's
 * `schema_migrations`; a driver for a database without it declares it unsupported, and
 * `migrationState` must then answer `unsupported`.
 */
export type DatabaseCapability = "migration-state";

/**
 * What {@link runDatabaseConformance} needs besides the database: two scripts in the
 * backend's language, a way to see their effects, and a way to set migration state.
 */
export interface DatabaseFixtures {
  /** A script of several statements that all succeed. */
  readonly goodScript: string;
  /** A script whose first statements succeed and a later one fails (e.g. a missing table). */
  readonly failingScript: string;
  /** True when any effect of that script is visible to a fresh session. */
  effectsVisible(script: "good" | "failing"): Promise<boolean>;
  /** Puts golang-migrate's `schema_migrations` in the given state (not called when `migration-state` is unsupported). */
  setMigrationState(state: MigrationFixtureState): Promise<void>;
}

/**
 * The {@link Database} contract: `applySql` is all or nothing (a script failing halfway
 * leaves nothing applied; success applies every statement), and `migrationState` tells
 * "not managed", "never migrated", a clean version and a dirty one apart.
 */
export function runDatabaseConformance(
  target: ConformanceTarget<Database, DatabaseFixtures, DatabaseCapability>,
): void {
  const migrations = supports(target, "migration-state");
  describe.skipIf(target.skip ?? false)(`Database conformance: ${target.name}`, () => {
    const withDb = (use: (db: Database, f: DatabaseFixtures) => Promise<void>) => withFixture(target, use);

    it("has a name", async () => {
      await withDb(async (db) => {
        expect(db.name.length).toBeGreaterThan(0);
      });
    });

    it("applies every statement of a script that succeeds", async () => {
      await withDb(async (db, f) => {
        expect(await f.effectsVisible("good")).toBe(false);
        okValue(await db.applySql(f.goodScript, { statementTimeoutMs: 30_000, lockTimeoutMs: 10_000 }));
        expect(await f.effectsVisible("good")).toBe(true);
      });
    });

    it("leaves nothing applied when a script fails halfway", async () => {
      await withDb(async (db, f) => {
        const error = errValue(await db.applySql(f.failingScript));
        expect(error._tag).toBe("DriverError");
        expect(error.reason).not.toBe("invalid_input");
        expect(await f.effectsVisible("failing")).toBe(false);
      });
    });

    it("returns invalid_input for an empty script and applies nothing", async () => {
      await withDb(async (db) => {
        expect(errValue(await db.applySql("")).reason).toBe("invalid_input");
        expect(errValue(await db.applySql("   \n")).reason).toBe("invalid_input");
      });
    });

    it("returns invalid_input for a non-positive timeout", async () => {
      await withDb(async (db, f) => {
        expect(errValue(await db.applySql(f.goodScript, { statementTimeoutMs: 0 })).reason).toBe(
          "invalid_input",
        );
        expect(errValue(await db.applySql(f.goodScript, { lockTimeoutMs: -5 })).reason).toBe("invalid_input");
        expect(await f.effectsVisible("good")).toBe(false);
      });
    });

    it("returns aborted for an already aborted signal and applies nothing", async () => {
      await withDb(async (db, f) => {
        expect(errValue(await db.applySql(f.goodScript, { signal: AbortSignal.abort() })).reason).toBe(
          "aborted",
        );
        expect(await f.effectsVisible("good")).toBe(false);
      });
    });

    const states: ReadonlyArray<readonly [string, MigrationFixtureState, MigrationState]> = [
      [
        "not managed (no schema_migrations table)",
        "no-table",
        { managed: false, version: null, dirty: false },
      ],
      ["never migrated (no row)", "no-row", { managed: true, version: null, dirty: false }],
      [
        "a clean version",
        { version: 20_240_101_120_000, dirty: false },
        { managed: true, version: 20_240_101_120_000, dirty: false },
      ],
      ["a dirty version", { version: 42, dirty: true }, { managed: true, version: 42, dirty: true }],
    ];
    for (const [what, state, expected] of states) {
      it.skipIf(!migrations)(`reports migration state: ${what}`, async () => {
        await withDb(async (db, f) => {
          await f.setMigrationState(state);
          expect(okValue(await db.migrationState())).toEqual(expected);
        });
      });
    }

    it.skipIf(migrations)("answers unsupported for migration state, which it declares it lacks", async () => {
      await withDb(async (db) => {
        expect(errValue(await db.migrationState()).reason).toBe("unsupported");
      });
    });
  });
}
