import { shortShaSchema, simpleNameSchema } from "@backflip/core";
import { z } from "zod";

/** A run id as stamped into a revision and a history line. */
export const runIdSchema = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/,
    "expected a run id of letters, digits, '_', '.', ':' or '-' (at most 128)",
  );

const hasControl = (s: string) => [...s].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f);

/** Who made a switch: one line of printable text, kept last on its history line. */
export const actorSchema = z
  .string()
  .min(1)
  .max(200)
  .refine((s) => !hasControl(s), "the actor must be one line of printable text")
  .refine((s) => s.trim() === s && s !== "-", "the actor must not start or end with blanks, nor be '-'");

const colorIn = (colors: readonly string[]) =>
  simpleNameSchema.refine((c) => colors.includes(c), {
    message: `expected one of the topology's colors: ${colors.join(", ")}`,
  });

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
