import type { DriverErrorReason } from "@backflip/core";
import { driverErrorFor } from "@backflip/core/driver-kit";

/** The `driver` of every error this package returns. */
export const DRIVER = "postgres";

/** Builds a postgres {@link DriverError}. Callers never pass a password. */
export const pgError = driverErrorFor(DRIVER);

/** Exact SQLSTATEs first, then classes (the first two characters). */
const BY_CODE: Readonly<Record<string, DriverErrorReason>> = {
  "57014": "timeout", // query_canceled (statement_timeout; an abort is told apart by the caller)
  "55P03": "timeout", // lock_not_available (lock_timeout)
  "40001": "conflict", // serialization_failure
  "40P01": "conflict", // deadlock_detected
  "42P01": "not_found", // undefined_table
  "42703": "not_found", // undefined_column
  "42704": "not_found", // undefined_object
  "42883": "not_found", // undefined_function
  "3D000": "not_found", // invalid_catalog_name (database)
  "3F000": "not_found", // invalid_schema_name
  "42P07": "conflict", // duplicate_table
  "42710": "conflict", // duplicate_object
  "42701": "conflict", // duplicate_column
  "42P06": "conflict", // duplicate_schema
  "42501": "unauthorized", // insufficient_privilege
  "25001": "invalid_input", // active_sql_transaction: a statement that cannot run in a transaction
  "42601": "invalid_input", // syntax_error
  "57P01": "unavailable", // admin_shutdown
  "57P02": "unavailable", // crash_shutdown
  "57P03": "unavailable", // cannot_connect_now
};

const BY_CLASS: Readonly<Record<string, DriverErrorReason>> = {
  "23": "conflict", // integrity constraint violation
  "28": "unauthorized", // invalid authorization specification
  "08": "unavailable", // connection exception
  "53": "unavailable", // insufficient resources
  "22": "invalid_input", // data exception
};

/** The reason for a SQLSTATE (`failed` when nothing more specific fits). */
export function reasonForSqlState(code: string | undefined): DriverErrorReason {
  if (code === undefined) return "failed";
  return BY_CODE[code] ?? BY_CLASS[code.slice(0, 2)] ?? "failed";
}

/** The runbook's next move for a reason, when there is one worth saying. */
export function hintForSqlState(code: string | undefined): string | undefined {
  if (code === "55P03") {
    return "another session holds a lock the script needs (conflict): find it in pg_locks/pg_stat_activity, or raise lockTimeoutMs";
  }
  if (code === "57014")
    return "the statement ran past statement_timeout: raise statementTimeoutMs or split the script";
  if (code === "25001")
    return "remove statements that cannot run in a transaction (VACUUM, CREATE INDEX CONCURRENTLY, …) from the script";
  switch (reasonForSqlState(code)) {
    case "not_found":
      return "the schema is not what the inverse SQL expects: check which migration is applied (migrationState)";
    case "unauthorized":
      return "check the role, its password and pg_hba.conf";
    case "unavailable":
      return "check that PostgreSQL is running and reachable";
    default:
      return undefined;
  }
}

/** Replaces every occurrence of each secret in `text` with `***`. */
export function redact(text: string, secrets: readonly string[]): string {
  return secrets.filter((s) => s.length > 0).reduce((t, s) => t.split(s).join("***"), text);
}
