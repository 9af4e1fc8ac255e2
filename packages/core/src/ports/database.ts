import type { ResultAsync } from "neverthrow";
import type { DriverError } from "../errors/driver-error";
import type { Action } from "../plan/action";

/** golang-migrate's view of the schema: `schema_migrations` (version, dirty). */
export interface MigrationState {
  /** False when there is no `schema_migrations` table: migrations are not managed here. */
  readonly managed: boolean;
  /** The applied version, or `null` when the table has no row (never migrated). */
  readonly version: number | null;
  /** True when a migration failed halfway and needs a manual fix and `force`. */
  readonly dirty: boolean;
}

/** Options for {@link Database.applySql}. */
export interface ApplySqlOptions {
  /** Per-statement timeout in milliseconds (`statement_timeout`). */
  readonly statementTimeoutMs?: number;
  /** Lock wait timeout in milliseconds (`lock_timeout`). */
  readonly lockTimeoutMs?: number;
  readonly signal?: AbortSignal;
}

/** A {@link Database} call a dry run describes; a script is named by its digest, never shown. */
export type DatabaseOperation =
  | { readonly op: "migrationState" }
  | {
      readonly op: "applySql";
      /** The script's SHA-256 (hex, possibly a prefix) and its line count: never its text. */
      readonly sha256: string;
      readonly lines: number;
      readonly statementTimeoutMs?: number;
      readonly lockTimeoutMs?: number;
    };

/** Applies inverse SQL and reads migration state. Implemented by driver-postgres. */
export interface Database {
  readonly name: string;
  /** Runs a whole script in one transaction, stopping at the first error: all or nothing. */
  applySql(sql: string, options?: ApplySqlOptions): ResultAsync<void, DriverError>;
  /** Reads golang-migrate's `schema_migrations`. */
  migrationState(): ResultAsync<MigrationState, DriverError>;
  /** The dry run of one call: the psql command or SQL it stands for, where. Optional: else a note. */
  describe?(operation: DatabaseOperation): readonly Action[];
}
