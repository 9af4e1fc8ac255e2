import { z } from "zod";

/** A full 40-hex git SHA, lower case. */
export const shaSchema = z
  .string()
  .regex(
    /^[0-9a-f]{40}$/,
    "expected a 40-character lower-case hex SHA (resolve short SHAs against the history first)",
  );

/** A short or full hex SHA (7–40), only for lookups resolved against history. */
export const shortShaSchema = z
  .string()
  .regex(/^[0-9a-f]{7,40}$/, "expected 7 to 40 lower-case hex characters");

/** An environment name like `staging`, `prod`, `lab`. */
export const envNameSchema = z
  .string()
  .regex(
    /^[a-z][a-z0-9-]{0,30}$/,
    "expected a lower-case name: letters, digits and '-', starting with a letter",
  );

/** A color or component name: lower-case letters, digits, '-'. */
export const simpleNameSchema = z
  .string()
  .regex(
    /^[a-z][a-z0-9-]{0,30}$/,
    "expected a lower-case name: letters, digits and '-', starting with a letter",
  );

/** An instance name Incus accepts: 1–63 of letters, digits, '-', not starting with a digit or '-', not ending with '-'. */
export const instanceNameSchema = z
  .string()
  .regex(
    /^[a-zA-Z](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$/,
    "expected 1-63 letters, digits or '-', starting with a letter and not ending with '-'",
  );

/** An absolute path with no NUL byte and no `..` segment. */
export const absolutePathSchema = z
  .string()
  .refine((p) => p.startsWith("/"), "expected an absolute path")
  .refine((p) => !p.includes("\0"), "path contains a NUL byte")
  .refine((p) => !p.split("/").includes(".."), "path contains a '..' segment");

/** A ZFS dataset name like `rpool/incus/containers/veza-staging-postgres`. */
export const datasetNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]*(?:\/[A-Za-z0-9_.:-]+)*$/, "expected a ZFS dataset name like pool/a/b");

/** A ZFS snapshot name (the part after `@`). */
export const snapshotNameSchema = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,200}$/,
    "expected a snapshot name of letters, digits, '_', '.', ':' or '-'",
  );
