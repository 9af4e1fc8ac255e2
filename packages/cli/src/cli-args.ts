import { resolve } from "node:path";
import { parseArgs } from "node:util";
import {
  absolutePathSchema,
  actorNameSchema,
  envNameSchema,
  freeTextSchema,
  hasUnsafeChars,
  lazySchema,
} from "@backflip/core/driver-kit";
import { err, ok, type Result } from "neverthrow";
import * as z from "zod";
import { coordinationKindSchema, coordinationPrefixSchema, etcdEndpointsSchema } from "./coordination";

/**
 * The `options` of a `node:util` `parseArgs` config, its shape written out (`parseRaw` passes
 * it to `parseArgs`, which checks it) so the package's declarations need no `@types/node`.
 */
export type OptionSpec = Record<
  string,
  {
    type: "string" | "boolean";
    multiple?: boolean;
    short?: string;
    default?: string | boolean | string[] | boolean[];
  }
>;

/**
 * A path given on the command line (`--state-dir`, `--metrics-file`, `--file`): not empty,
 * no control, bidi or line-separator character (they would hide what the path is),
 * resolved against the working directory into a normalised absolute path.
 */
export const cliPathSchema = lazySchema(() =>
  z
    .string()
    .min(1, "must not be empty")
    .refine((p) => !hasUnsafeChars(p), "expected a path without control, bidi or line-separator characters")
    .transform((p) => resolve(p))
    .pipe(absolutePathSchema),
);

/** Options every command takes. */
export const GLOBAL_OPTIONS = {
  config: { type: "string" },
  env: { type: "string" },
  target: { type: "string" },
  "state-dir": { type: "string" },
  coordination: { type: "string" },
  "etcd-endpoints": { type: "string" },
  "coordination-prefix": { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const satisfies OptionSpec;

/** Options of every command that runs a plan. */
export const RUN_OPTIONS = {
  actor: { type: "string" },
  reason: { type: "string" },
  "metrics-file": { type: "string" },
  "lock-ttl": { type: "string" },
} as const satisfies OptionSpec;

/** The validated global options. */
export const globalSchema = lazySchema(() =>
  z.object({
    /** Read by `main` before the command runs (see config.ts). */
    config: cliPathSchema.optional(),
    /** Default: `staging` on the simulated fleet, `lab` on the lab. */
    env: envNameSchema.optional(),
    target: z
      .string()
      .regex(/^[a-z][a-z0-9-]{0,31}$/, "expected a target name: simulated, or one the CLI adds")
      .default("simulated"),
    "state-dir": z.string().default("./.backflip").pipe(cliPathSchema),
    coordination: coordinationKindSchema,
    "etcd-endpoints": etcdEndpointsSchema.optional(),
    "coordination-prefix": coordinationPrefixSchema,
    json: z.boolean().default(false),
    help: z.boolean().default(false),
  }),
);

/** An empty string (a workflow's empty input) counts as absent. */
export const optional = <S extends z.ZodType>(schema: S) =>
  z.preprocess((v) => (v === "" ? undefined : v), schema.optional());

/** A whole number of seconds given as text. */
export const secondsSchema = lazySchema(() =>
  z
    .string()
    .regex(/^[1-9][0-9]{0,5}$/, "expected a whole number of seconds ≥ 1")
    .transform(Number),
);

/** Who acts: the shared login-like name (it is written into history lines and the lock's owner). */
export const actorSchema = actorNameSchema;

/** Why, in the operator's words: one line of printable text (the shared free-text rule). */
export const reasonSchema = lazySchema(() => freeTextSchema(500));

/** The validated run options: who, why, where metrics go, the lock's time-to-live. */
export const runSchema = lazySchema(() =>
  z.object({
    actor: actorSchema.optional(),
    reason: reasonSchema.optional(),
    "metrics-file": optional(cliPathSchema),
    "lock-ttl": optional(secondsSchema),
  }),
);

/** Raw parsed arguments. */
export interface RawArgs {
  readonly values: Record<string, string | boolean | string[] | undefined>;
  readonly positionals: string[];
}

/** The first flag given in `values` that is neither a global option nor one of `own`, or `undefined`. */
export function flagNotIn(values: RawArgs["values"], own: OptionSpec): string | undefined {
  return Object.keys(values).find(
    (key) => values[key] !== undefined && !(key in GLOBAL_OPTIONS) && !(key in own),
  );
}

/** Parses argv strictly with `parseArgs`: an unknown option or a missing value is a usage error. */
export function parseRaw(
  argv: readonly string[],
  options: OptionSpec,
  positionals: number,
): Result<RawArgs, string> {
  try {
    const parsed = parseArgs({ args: [...argv], options, strict: true, allowPositionals: positionals > 0 });
    if (parsed.positionals.length > positionals)
      return err(`unexpected argument "${parsed.positionals[positionals]}"`);
    return ok({ values: parsed.values as RawArgs["values"], positionals: parsed.positionals });
  } catch (cause) {
    return err((cause as Error).message);
  }
}

/** How an error names a value: a flag as `--name`; a positional argument's key is its `<name>` already. */
const flagName = (key: string) => (key.startsWith("<") ? key : `--${key}`);

/** Validates parsed values with a zod schema; the error names each bad option as `--name` (a positional as `<name>`). */
export function validate<S extends z.ZodType>(schema: S, values: unknown): Result<z.output<S>, string> {
  const parsed = schema.safeParse(values);
  if (parsed.success) return ok(parsed.data);
  return err(
    parsed.error.issues
      .map((i) => (i.path.length ? `${flagName(i.path.join("."))}: ${i.message}` : i.message))
      .join("; "),
  );
}
