/**
 * A Backflip {@link @backflip/core!Database} for PostgreSQL: inverse SQL applied all or nothing and
 * golang-migrate's state, over the wire (`pg`) or through psql on any Shell.
 * @module \@backflip/driver-postgres
 * @document ../README.md
 */

export type { PgSslOption } from "./pg-tls";
export type { PgDatabaseOptions, PsqlDatabaseOptions } from "./postgres-database";
export { createPgDatabase, createPsqlDatabase, PostgresDatabase } from "./postgres-database";
export { reasonForSqlState } from "./postgres-error";
export type { TransactionControl } from "./transaction-control";
export { findTransactionControl } from "./transaction-control";
