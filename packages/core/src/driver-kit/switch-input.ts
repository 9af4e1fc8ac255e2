import * as z from "zod";
import { lazySchema } from "../validate/lazy-schema";
import { freeTextSchema } from "../validate/schemas";
import { actorSchema, colorIn, runIdSchema, shortShaSchema } from "./kit-schemas";

/** A {@link @backflip/core!SwitchRequest} whose color is one of `colors`. */
export function switchRequestSchema(colors: readonly string[]) {
  return z.object({
    color: colorIn(colors),
    sha: shortShaSchema.optional(),
    runId: runIdSchema,
    actor: actorSchema,
  });
}

const token = lazySchema(() => z.string().regex(/^\S+$/, "expected one word without blanks"));

/** A history entry as written back by `writeState` (lenient: lines other tools wrote are kept). */
export const historyEntrySchema = lazySchema(() =>
  z.object({
    at: token,
    color: token,
    sha: token.optional(),
    runId: token.optional(),
    actor: actorSchema.optional(),
  }),
);

/** A whole {@link @backflip/core!TrafficState} whose active color is one of `colors`. */
export function trafficStateSchema(colors: readonly string[]) {
  return z.object({ activeColor: colorIn(colors), history: z.array(historyEntrySchema) });
}

/** The lease fence (`Fence`) a write is made under: a lease key of one word, a non-negative safe-integer token, the issuer's name. */
export const fenceSchema = lazySchema(() =>
  z.object({
    key: z
      .string()
      .regex(
        /^[A-Za-z0-9][A-Za-z0-9._:/@-]{0,199}$/,
        "expected a lease key of letters, digits, '.', '_', ':', '/', '@' or '-'",
      ),
    token: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    issuer: freeTextSchema(512)
      .refine((s) => s.trim() === s, "expected no blanks at the ends")
      .optional(),
  }),
);
