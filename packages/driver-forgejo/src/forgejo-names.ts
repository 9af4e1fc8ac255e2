import { lazySchema } from "@backflip/core/driver-kit";
import * as z from "zod";

/**
 * Forgejo user/org names: letters, digits, `-`, `_`, `.`; starting and ending with a
 * letter or digit, no two punctuation characters in a row; at most 40 characters.
 */
export const ownerNameSchema = lazySchema(() =>
  z
    .string()
    .max(40, "expected at most 40 characters")
    .regex(
      /^[A-Za-z0-9](?:[A-Za-z0-9]|[-_.](?=[A-Za-z0-9]))*$/,
      "expected a Forgejo owner name: letters, digits and single '-', '_' or '.' between them",
    ),
);

/** A repository name: a letter or digit, then letters, digits, `-`, `_`, `.` (never an option, `.` or `..`). */
export const repoNameSchema = lazySchema(() =>
  z
    .string()
    .max(100, "expected at most 100 characters")
    .regex(
      /^[A-Za-z0-9][A-Za-z0-9_.-]*$/,
      "expected a repository name: a letter or digit, then letters, digits, '-', '_' or '.'",
    ),
);

/**
 * A generic package name in the set every Forgejo and Gitea release accepts
 * (`[A-Za-z0-9._+-]`, the documented set; Forgejo's own rule is wider), not `..`,
 * and a one-character name must be a letter or digit.
 */
export const packageNameSchema = lazySchema(() =>
  z
    .string()
    .min(1, "expected a package name")
    .max(255, "expected at most 255 characters")
    .regex(/^[A-Za-z0-9._+-]+$/, "expected a package name of letters, digits, '.', '_', '+' or '-'")
    .refine((name) => name !== "..", "'..' is not a package name")
    .refine(
      (name) => name.length > 1 || /^[A-Za-z0-9]$/.test(name),
      "a one-character name must be a letter or digit",
    ),
);

/** A generic package file name in the portable set `[A-Za-z0-9._+-]`, not `.` or `..`. */
export const fileNameSchema = lazySchema(() =>
  z
    .string()
    .min(1, "expected a file name")
    .max(255, "expected at most 255 characters")
    .regex(/^[A-Za-z0-9._+-]+$/, "expected a file name of letters, digits, '.', '_', '+' or '-'")
    .refine((name) => name !== "." && name !== "..", "'.' and '..' are not file names"),
);

/** A workflow file name under `.forgejo/workflows/`, e.g. `rollback.yml`. */
export const workflowFileSchema = lazySchema(() =>
  z
    .string()
    .max(255, "expected at most 255 characters")
    .regex(/^[A-Za-z0-9_-][A-Za-z0-9_.-]*\.ya?ml$/, "expected a workflow file name like rollback.yml"),
);

/** A git ref or SHA to run a workflow on: no spaces, no `..`, no leading or trailing `/`. */
export const gitRefSchema = lazySchema(() =>
  z
    .string()
    .min(1, "expected a git ref such as main")
    .max(255, "expected at most 255 characters")
    .regex(/^[A-Za-z0-9._/+-]+$/, "expected a git ref of letters, digits, '.', '_', '/', '+' or '-'")
    .refine(
      (ref) => !ref.includes("..") && !ref.startsWith("/") && !ref.endsWith("/"),
      "not a valid git ref",
    ),
);

/** Workflow inputs: identifier keys, string values (booleans and numbers as strings). */
export const workflowInputsSchema = lazySchema(() =>
  z.record(
    z.string().regex(/^[A-Za-z_][A-Za-z0-9_-]*$/, "expected an input name of letters, digits, '_' or '-'"),
    z.string({ error: "expected a string (send booleans and numbers as strings)" }).max(65_536),
  ),
);

/** A workflow run id (the API's database id, not the run number). */
export const runIdSchema = lazySchema(() =>
  z
    .number({ error: "expected a run id" })
    .int("expected an integer run id")
    .positive("expected a positive run id")
    .max(Number.MAX_SAFE_INTEGER),
);
