import { basename, dirname, join, resolve } from "node:path";
import { err, ok, type Result } from "neverthrow";
import * as z from "zod";
import type { DriverError } from "../errors/driver-error";
import { lazySchema } from "../validate/lazy-schema";
import { parseInput } from "../validate/parse-input";
import { absolutePathSchema, envNameSchema } from "../validate/schemas";
import { RECIPE_DRIVER, recipeError } from "./recipe-input";

/** The folder under the repository root that holds one file per incident. */
const INCIDENTS_DIR = join("docs", "runbooks", "incidents");

const incidentFileInput = lazySchema(() =>
  z.object({
    root: absolutePathSchema,
    env: envNameSchema,
    at: z.union([
      z.date().refine((d) => !Number.isNaN(d.getTime()), "expected a valid date"),
      z
        .string()
        .regex(
          /^\d{4}-\d{2}-\d{2}(?:T[0-9:.]+(?:Z|[+-]\d{2}:?\d{2})?)?$/,
          "expected an ISO date like 2026-11-26",
        )
        .refine((s) => !Number.isNaN(Date.parse(s.slice(0, 10))), "expected a valid date"),
    ]),
  }),
);

/**
 * Where the runbook keeps an incident's own file: `docs/runbooks/incidents/<date>-<env>.md`
 * under `root` (the repository's absolute path). `env` is an environment name and `at` a
 * date (or an ISO date string, whose first ten characters are the date); anything else is
 * `invalid_input`, and the resolved path is checked to name a file directly inside the
 * incidents folder.
 */
export function incidentFilePath(root: string, env: string, at: Date | string): Result<string, DriverError> {
  return parseInput(
    incidentFileInput,
    { root, env, at },
    { driver: RECIPE_DRIVER, op: "incidentFilePath" },
  ).andThen((input) => {
    const date = (typeof input.at === "string" ? input.at : input.at.toISOString()).slice(0, 10);
    const folder = resolve(input.root, INCIDENTS_DIR);
    const path = resolve(folder, `${date}-${input.env}.md`);
    return dirname(path) === folder && basename(path) === `${date}-${input.env}.md`
      ? ok(path)
      : err(
          recipeError(
            "incidentFilePath",
            "invalid_input",
            "the incident file would leave the incidents folder",
          ),
        );
  });
}
