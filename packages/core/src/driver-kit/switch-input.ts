import { z } from "zod";
import { actorSchema, colorIn, runIdSchema, shortShaSchema } from "./kit-schemas";

/** A {@link SwitchRequest} whose color is one of `colors`. */
export function switchRequestSchema(colors: readonly string[]) {
  return z.object({
    color: colorIn(colors),
    sha: shortShaSchema.optional(),
    runId: runIdSchema,
    actor: actorSchema,
  });
}

const token = z.string().regex(/^\S+$/, "expected one word without blanks");

/** A history entry as written back by `writeState` (lenient: lines other tools wrote are kept). */
export const historyEntrySchema = z.object({
  at: token,
  color: token,
  sha: token.optional(),
  runId: token.optional(),
  actor: actorSchema.optional(),
});

/** A whole {@link TrafficState} whose active color is one of `colors`. */
export function trafficStateSchema(colors: readonly string[]) {
  return z.object({ activeColor: colorIn(colors), history: z.array(historyEntrySchema) });
}
