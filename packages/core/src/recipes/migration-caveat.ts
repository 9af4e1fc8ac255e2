import { okAsync, type ResultAsync } from "neverthrow";
import * as z from "zod";
import type { DriverError } from "../errors/driver-error";
import { defineStep, type Step } from "../plan/step";
import type { Database, MigrationState } from "../ports/database";
import { HINTS, RUNBOOK } from "../presets/veza-runbook";
import { lazySchema } from "../validate/lazy-schema";
import { databaseActions } from "./port-actions";

/** The step id of {@link migrationCaveatStep}. */
const MIGRATION_CAVEAT_STEP_ID = "migration-caveat";

/** One migration warning: `not_rolled_back` (always, when managed), `schema_changed`, `dirty`, `unreadable`. */
export interface MigrationWarning {
  readonly code: "not_rolled_back" | "schema_changed" | "dirty" | "unreadable";
  readonly message: string;
}

/** What the `migration-caveat` step (`migrationCaveatStep`) found. */
export interface MigrationCaveat {
  readonly state: MigrationState | null;
  readonly warnings: readonly MigrationWarning[];
}

/**
 * Path 2's caveat from the migration state: migrations are not rolled back, so the schema
 * stays the post-deploy one; a dirty state (a migration failed halfway) or a schema version
 * other than the one the target release expects is called out, with the Path 3 hint.
 * Empty when migrations are not managed here.
 */
export function migrationWarnings(
  state: MigrationState | null,
  expectedVersion?: number,
): MigrationWarning[] {
  if (!state?.managed) return [];
  const at = state.version ?? "none";
  const warnings: MigrationWarning[] = [
    {
      code: "not_rolled_back",
      message: `schema stays at version ${at}, the post-deploy schema: ${RUNBOOK.migrationCaveat}`,
    },
  ];
  if (expectedVersion !== undefined && state.version !== expectedVersion)
    warnings.push({
      code: "schema_changed",
      message: `the schema changed: it is at version ${at} but the target release expects ${expectedVersion}; if the app crashes against it, ${HINTS.usePath3InverseSql}`,
    });
  if (state.dirty)
    warnings.push({
      code: "dirty",
      message: `schema_migrations is dirty at version ${at}: a migration failed halfway; ${HINTS.usePath3InverseSql}`,
    });
  return warnings;
}

/** The warnings of {@link migrationWarnings} read at planning time; none without a database driver. */
export function plannedMigrationWarnings(
  database: Database | undefined,
  expectedVersion?: number,
): ResultAsync<MigrationWarning[], DriverError> {
  return database
    ? database.migrationState().map((state) => migrationWarnings(state, expectedVersion))
    : okAsync([]);
}

/** {@link migrationCaveatStep} as a list: empty without a database driver. */
export function migrationCaveatSteps(
  database: Database | undefined,
  expectedVersion?: number,
  plannedWarnings: readonly MigrationWarning[] = [],
): Step<MigrationCaveat>[] {
  return database ? [migrationCaveatStep(database, expectedVersion, plannedWarnings)] : [];
}

/** The zod schema of a {@link MigrationWarning} (intent params carry them). */
export const migrationWarningSchema = lazySchema(() =>
  z.object({
    code: z.enum(["not_rolled_back", "schema_changed", "dirty", "unreadable"]),
    message: z.string(),
  }),
);

/**
 * A check that reads the migration state when the run starts and reports the caveat as
 * `step.log` lines (so it lands in the journal, the report and the postmortem). It never
 * blocks the rollback: an unreadable state is itself reported as a warning.
 */
function migrationCaveatStep(
  database: Database,
  expectedVersion?: number,
  plannedWarnings: readonly MigrationWarning[] = [],
): Step<MigrationCaveat> {
  const dirty = plannedWarnings.some((w) => w.code === "dirty");
  const changed = plannedWarnings.some((w) => w.code === "schema_changed");
  const flags = [dirty ? "DIRTY schema" : "", changed ? "schema CHANGED" : ""].filter(Boolean).join(", ");
  return defineStep({
    id: MIGRATION_CAVEAT_STEP_ID,
    title: `Read the migration state (warning: migrations are not rolled back${flags ? `; ${flags}: see Path 3` : ""})`,
    kind: "check",
    idempotent: true,
    describe: () => databaseActions(database, { op: "migrationState" }),
    run: (ctx) =>
      database
        .migrationState()
        .map((state): MigrationCaveat => ({ state, warnings: migrationWarnings(state, expectedVersion) }))
        .orElse((e) =>
          okAsync<MigrationCaveat, never>({
            state: null,
            warnings: [
              {
                code: "unreadable",
                message: `the migration state could not be read (${e.message}): ${RUNBOOK.migrationCaveat}`,
              },
            ],
          }),
        )
        .map((caveat) => {
          for (const warning of caveat.warnings) ctx.log(`warning: ${warning.message}`);
          return caveat;
        }),
  });
}
