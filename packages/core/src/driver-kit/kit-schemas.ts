import * as z from "zod";
import { lazySchema } from "../validate/lazy-schema";
import { freeTextSchema, simpleNameSchema } from "../validate/schemas";

export { absolutePathSchema, shaSchema, shortShaSchema } from "../validate/schemas";

/** A run id as stamped into a revision and a history line. */
export const runIdSchema = lazySchema(() =>
  z
    .string()
    .regex(
      /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/,
      "expected a run id of letters, digits, '_', '.', ':' or '-' (at most 128)",
    ),
);

/** Who made a change: one line of printable text, kept last on its history line. */
export const actorSchema = lazySchema(() =>
  freeTextSchema(200).refine(
    (s) => s.trim() === s && s !== "-",
    "the actor must not start or end with blanks, nor be '-'",
  ),
);

/** A color name that is one of `colors`. */
export function colorIn(colors: readonly string[]) {
  return simpleNameSchema.refine((c) => colors.includes(c), {
    message: `expected one of the topology's colors: ${colors.join(", ")}`,
  });
}
