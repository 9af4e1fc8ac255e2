import { createHash } from "node:crypto";
import { errAsync, okAsync, type Result, type ResultAsync } from "neverthrow";
import * as z from "zod";
import { type DriverError, driverError } from "../errors/driver-error";
import { fromDriverError, type StepError, stepError } from "../errors/step-error";
import { readRegularFile } from "../fs/read-regular-file";
import type { PlanIntent } from "../plan/plan-intent";
import { createPlan, type RollbackPlan } from "../plan/rollback-plan";
import { defineStep, type Step } from "../plan/step";
import type { MigrationState } from "../ports/database";
import type { Topology } from "../topology/topology";
import type { TopologyWith } from "../topology/topology-with";
import { lazySchema } from "../validate/lazy-schema";
import { absolutePathSchema } from "../validate/schemas";
import { definedFields } from "./defined-fields";
import type { DriversFor } from "./drivers";
import { databaseActions } from "./port-actions";
import { defineRecipe } from "./recipe";
import {
  parseParams,
  parseRecipeInput,
  type RecipeBaseInput,
  recipeBaseSchema,
  recipeError,
} from "./recipe-input";

/** The largest inverse SQL accepted, inline (characters) or as a file (bytes). */
const MAX_SQL = 1_000_000;

const sqlSchema = lazySchema(() =>
  z
    .string()
    .max(MAX_SQL)
    .refine((s) => s.trim().length > 0, "the SQL is empty")
    .refine((s) => !s.includes("\0"), "the SQL contains a NUL byte"),
);

/** Input of {@link applyInverseSql}: exactly one of `sql` and `sqlFile`. */
export interface ApplyInverseSqlInput extends RecipeBaseInput {
  /** The inverse SQL itself (from the destructive migration's PR description)… */
  readonly sql?: string;
  /** …or the file holding it, e.g. `/tmp/inverse.sql`. */
  readonly sqlFile?: string;
  /** The `schema_migrations` version the inverse SQL leaves, when it sets one: verified after. */
  readonly expectedVersionAfter?: number;
  readonly statementTimeoutMs?: number;
  readonly lockTimeoutMs?: number;
}

/** The drivers {@link applyInverseSql} uses. */
export type ApplyInverseSqlDrivers = DriversFor<"database">;

/** The topology sections {@link applyInverseSql} needs: `database` (where psql runs). */
const SECTIONS = ["database"] as const;

const inverseSqlInput = (): z.ZodType<ApplyInverseSqlInput> =>
  recipeBaseSchema
    .extend({
      /** The inverse SQL itself (from the destructive migration's PR description)… */
      sql: sqlSchema.optional(),
      /** …or the file holding it, e.g. `/tmp/inverse.sql`. */
      sqlFile: absolutePathSchema.optional(),
      /** The `schema_migrations` version the inverse SQL leaves, when it sets one: verified after. */
      expectedVersionAfter: z.number().int().min(0).optional(),
      statementTimeoutMs: z.number().int().min(1).max(3_600_000).optional(),
      lockTimeoutMs: z.number().int().min(1).max(3_600_000).optional(),
    })
    .strict()
    .refine(
      (v) => (v.sql === undefined) !== (v.sqlFile === undefined),
      "give exactly one of sql and sqlFile",
    );

/**
 * What the intent (and so the journal) holds of the SQL: its SHA-256 and line count, and
 * the file it came from — never the text, which may hold secrets (`ALTER ROLE … PASSWORD`).
 */
const inverseSqlParams = lazySchema(() =>
  z.object({
    sha256: z.string().regex(/^[0-9a-f]{64}$/, "expected the SQL's SHA-256 in hex"),
    lines: z.number().int().min(1),
    sqlFile: absolutePathSchema.optional(),
    expectedVersionAfter: z.number().int().min(0).optional(),
    statementTimeoutMs: z.number().int().min(1).optional(),
    lockTimeoutMs: z.number().int().min(1).optional(),
  }),
);

const BEFORE_STEP_ID = "migration-state-before";
const APPLY_STEP_ID = "apply-inverse-sql";
const AFTER_STEP_ID = "migration-state-after";

/** A script's line count: a last line without a newline counts, an empty one after the last newline does not. */
const countLines = (sql: string) => sql.split("\n").length - (sql.endsWith("\n") ? 1 : 0);

const sha256Of = (sql: string) => createHash("sha256").update(sql).digest("hex");

const SQL_FILE_EXPECTED = `expected a regular file of inverse SQL: UTF-8 text, at most ${MAX_SQL} bytes`;

/** Reads an inverse-SQL file the operator named: a regular file within the size limit; a refusal never quotes it. */
const readSqlFile = (path: string) => readRegularFile(path, MAX_SQL);

/** The details of a database error that locate a failure without quoting the script. */
const LOCATING_DETAILS = ["sqlstate", "line", "position", "statement"] as const;

/**
 * The apply step's failure from the database's error: its driver, operation, reason,
 * hint and where it failed (SQLSTATE, line, position, statement number), never its
 * message or other details — a server message quotes the script ("syntax error at or
 * near …", the failing statement), and the file may be anything the operator named.
 * Connection-level failures (unavailable, timeout, aborted, unauthorized) say nothing of
 * the script and keep their message.
 */
function applyFailure(error: DriverError): StepError {
  const next =
    "nothing was applied (one transaction); fix the SQL from the migration's PR description and retry";
  if (["unavailable", "timeout", "aborted", "unauthorized"].includes(error.reason))
    return fromDriverError(APPLY_STEP_ID, error, next);
  const where = Object.fromEntries(
    LOCATING_DETAILS.flatMap((key) => {
      const value = error.details?.[key];
      return typeof value === "number" || (typeof value === "string" && /^[0-9A-Za-z]{1,10}$/.test(value))
        ? [[key, value]]
        : [];
    }),
  );
  const at = Object.entries(where)
    .map(([key, value]) => `${key} ${value}`)
    .join(", ");
  const message = `${error.driver}.${error.op}: the inverse SQL failed (${error.reason}${at ? `, ${at}` : ""}); the server's message is not shown, it may quote the script`;
  return stepError(APPLY_STEP_ID, error.reason, message, {
    hint: `${error.hint ? `${error.hint}; ` : ""}${next} (run it by hand with psql on a copy of the database to see the server's message)`,
    cause: driverError({
      driver: error.driver,
      op: error.op,
      reason: error.reason,
      message,
      ...(Object.keys(where).length > 0 ? { details: where } : {}),
    }),
  });
}

/**
 * The SQL to apply: the text read at planning, or (on resume) the intent's file again,
 * refused when its digest is not the planned one; inline SQL is not journaled, so a
 * resumed run cannot apply it.
 */
function sqlToApply(
  text: string | undefined,
  sqlFile: string | undefined,
  sha256: string,
): ResultAsync<string, StepError> {
  if (text !== undefined) return okAsync(text);
  if (sqlFile === undefined) {
    return errAsync(
      stepError(
        APPLY_STEP_ID,
        "failed",
        "the inline SQL is not in the journal (only its digest): nothing was applied",
        {
          hint: "plan the run again with the SQL (give it as sqlFile to make the run resumable)",
        },
      ),
    );
  }
  return readSqlFile(sqlFile)
    .mapErr((refused) =>
      stepError(APPLY_STEP_ID, refused.reason, `cannot read ${sqlFile} again: ${refused.message}`, {
        hint: SQL_FILE_EXPECTED,
      }),
    )
    .andThen((sql) =>
      sha256Of(sql) === sha256
        ? okAsync(sql)
        : errAsync(
            stepError(
              APPLY_STEP_ID,
              "failed",
              `${sqlFile} changed since the run was planned: nothing was applied`,
              {
                hint: "check the file; plan the run again to apply what it holds now",
              },
            ),
          ),
    );
}

/**
 * Builds the inverse-SQL plan from its intent and, on a fresh run, the SQL read at
 * planning (`text`): read the migration state, apply the SQL in one transaction
 * (ON_ERROR_STOP: all or nothing), read the state again (and check the expected version
 * when given).
 */
function inverseSqlPlan(
  drivers: ApplyInverseSqlDrivers,
  intent: PlanIntent,
  text: string | undefined,
): Result<RollbackPlan, DriverError> {
  const { database } = drivers;
  return parseParams(inverseSqlParams, intent, "applyInverseSql").andThen(
    ({ sha256, lines, sqlFile, expectedVersionAfter, statementTimeoutMs, lockTimeoutMs }) => {
      const digest = sha256.slice(0, 16);
      const readState = (id: string, kind: "check" | "verify", title: string) =>
        defineStep<MigrationState>({
          id,
          title,
          kind,
          idempotent: true,
          describe: () => databaseActions(database, { op: "migrationState" }),
          run: (ctx) =>
            database
              .migrationState()
              .mapErr((e) => fromDriverError(id, e))
              .andThen((state) => {
                ctx.log(
                  `schema_migrations: version ${state.version ?? "none"}${state.dirty ? " (dirty)" : ""}`,
                );
                if (
                  kind === "verify" &&
                  expectedVersionAfter !== undefined &&
                  state.version !== expectedVersionAfter
                )
                  return errAsync(
                    stepError(
                      id,
                      "failed",
                      `schema_migrations is at ${state.version ?? "none"}, expected ${expectedVersionAfter}`,
                      {
                        hint: "the SQL was applied (committed): check the schema by hand before running Path 2",
                      },
                    ),
                  );
                return okAsync(state);
              }),
        });
      const apply = defineStep<{ sha256: string; lines: number }>({
        id: APPLY_STEP_ID,
        title: `Apply the inverse SQL (${lines} line${lines === 1 ? "" : "s"}) in one transaction`,
        kind: "change",
        describe: () =>
          databaseActions(database, {
            op: "applySql",
            sha256: digest,
            lines,
            ...definedFields({ statementTimeoutMs, lockTimeoutMs }),
          }),
        run: (ctx) =>
          sqlToApply(text, sqlFile, sha256).andThen((sql) =>
            database
              .applySql(sql, {
                signal: ctx.signal,
                ...definedFields({ statementTimeoutMs, lockTimeoutMs }),
              })
              .map(() => ({ sha256: digest, lines }))
              .mapErr(applyFailure),
          ),
      });
      const steps: Step[] = [
        readState(BEFORE_STEP_ID, "check", "Read the migration state before"),
        apply,
        readState(AFTER_STEP_ID, "verify", "Read the migration state after"),
      ];
      return createPlan(intent, steps);
    },
  );
}

/** The plan from its intent alone (resume): the SQL comes from the intent's file. */
function applyInverseSqlPlanFromIntent(
  _topology: TopologyWith<"database">,
  drivers: ApplyInverseSqlDrivers,
  intent: PlanIntent,
): Result<RollbackPlan, DriverError> {
  return inverseSqlPlan(drivers, intent, undefined);
}

/**
 * Path 3 — the schema is poisoned: applies the destructive migration's inverse SQL inside
 * the postgres container, in one transaction (`psql -v ON_ERROR_STOP=1 --single-transaction`).
 * Then run Path 2 to deploy the older binary. Planning reads the SQL file, never the database.
 * The intent (and so the journal) holds the SQL's SHA-256, line count and file, never
 * its text: a resumed run reads the file again and refuses it if it changed; SQL given
 * inline cannot be applied by a resumed run.
 */
export function applyInverseSql(
  topology: Topology,
  drivers: ApplyInverseSqlDrivers,
  input: ApplyInverseSqlInput,
): ResultAsync<RollbackPlan, DriverError> {
  const parsed = parseRecipeInput("applyInverseSql", topology, SECTIONS, inverseSqlInput, input);
  if (parsed.isErr()) return errAsync(parsed.error);
  const { topology: t, input: args } = parsed.value;
  const sql =
    args.sql !== undefined
      ? okAsync<string, DriverError>(args.sql)
      : readSqlFile(args.sqlFile ?? "").mapErr((refused) =>
          recipeError("applyInverseSql", refused.reason, `cannot read ${args.sqlFile}: ${refused.message}`, {
            hint: SQL_FILE_EXPECTED,
          }),
        );
  return sql.andThen((text) => {
    const checked = sqlSchema.safeParse(text);
    if (!checked.success) {
      return errAsync(
        recipeError(
          "applyInverseSql",
          "invalid_input",
          `${args.sqlFile}: ${checked.error.issues[0]?.message}`,
        ),
      );
    }
    const intent: PlanIntent = {
      path: "inverse-sql",
      env: t.env,
      actor: args.actor,
      reason: args.reason,
      params: {
        sha256: sha256Of(text),
        lines: countLines(text),
        ...definedFields({
          sqlFile: args.sqlFile,
          expectedVersionAfter: args.expectedVersionAfter,
          statementTimeoutMs: args.statementTimeoutMs,
          lockTimeoutMs: args.lockTimeoutMs,
        }),
      },
    };
    return inverseSqlPlan(drivers, intent, text);
  });
}

/** Path 3's inverse SQL as a registered recipe: resumable through a recipe registry. */
export const applyInverseSqlRecipe = defineRecipe({
  path: "inverse-sql",
  drivers: ["database"],
  sections: SECTIONS,
  plan: applyInverseSqlPlanFromIntent,
});
