import { randomBytes } from "node:crypto";
import * as z from "zod";
import { lazySchema } from "../validate/lazy-schema";

/** A run id: safe as a file name (letters, digits, `.`, `_`, `-`; starts with a letter or digit). */
export const runIdSchema = lazySchema(() =>
  z
    .string()
    .regex(
      /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/,
      "expected a run id of letters, digits, '.', '_' or '-' (at most 128), starting with a letter or digit",
    ),
);

/** A new time-ordered run id, e.g. `20261126T053300Z-3fa9c1` (UTC second, then 6 random hex digits). */
export function newRunId(now: Date = new Date()): string {
  const stamp = now
    .toISOString()
    .replace(/\.\d{3}Z$/, "Z")
    .replace(/[-:]/g, "");
  return `${stamp}-${randomBytes(3).toString("hex")}`;
}
