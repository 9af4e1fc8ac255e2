import { access, readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import {
  envNameSchema,
  httpUrlSchema,
  instanceNameSchema,
  lazySchema,
  localPathSchema,
} from "@backflip/core/driver-kit";
import { err, errAsync, ok, okAsync, type Result, ResultAsync } from "neverthrow";
import * as z from "zod";
import { coordinationPrefixSchema } from "./coordination";

/** The JSON file `backflip` reads in the working directory when `--config` is not given. */
export const CONFIG_FILE = "backflip.config.json";

/** The TypeScript file `backflip` reads in the working directory when `--config` is not given and there is no {@link CONFIG_FILE}. */
export const CONFIG_FILE_TS = "backflip.config.ts";

/** True when `path` names a TypeScript config (`.ts` or `.mts`): its default export is the config. */
export const isTsConfigPath = (path: string): boolean => /\.m?ts$/i.test(path);

/** An environment variable's name: where a secret (a token) is read from, never the secret itself. */
const envVarSchema = lazySchema(() =>
  z.string().regex(/^[A-Z_][A-Z0-9_]{0,63}$/, "expected an environment variable name, e.g. FORGEJO_TOKEN"),
);

const coordinationSchema = lazySchema(() =>
  z.discriminatedUnion(
    "kind",
    [
      z.strictObject({ kind: z.literal("file") }),
      z.strictObject({ kind: z.literal("incus"), prefix: coordinationPrefixSchema }),
      z.strictObject({
        kind: z.literal("etcd"),
        endpoints: z
          .array(z.url({ protocol: /^https?$/, error: "expected a client URL like http://10.0.0.5:2379" }))
          .min(1, "expected at least one client URL")
          .max(16),
        prefix: coordinationPrefixSchema,
      }),
    ],
    { error: "expected kind file, incus or etcd" },
  ),
);

/**
 * An SSH connection to the container host (key authentication, the host key checked
 * against a known_hosts file): the files are named, never inlined; a key's passphrase is
 * read from the variable `passphraseEnv` names. Relative paths are from the config's folder.
 */
const hostShellSchema = lazySchema(() =>
  z.strictObject({
    host: z.string().min(1, "expected a host name or an IP address"),
    port: z.number().int().min(1).max(65_535).optional(),
    user: z.string().min(1, "expected a user name"),
    privateKeyPath: localPathSchema,
    passphraseEnv: envVarSchema.optional(),
    knownHostsFile: localPathSchema,
  }),
);

/** The database, for Path 2's migration caveat and Path 3's inverse SQL: psql inside its container (`incus exec`). */
const databaseSchema = lazySchema(() =>
  z.strictObject({
    /** Default: the topology's `database.container`. */
    container: instanceNameSchema.optional(),
    /** psql's `-h`: a host or, inside the container, its socket directory. */
    host: z.string().min(1).optional(),
    port: z.number().int().min(1).max(65_535).optional(),
    /** The psql command as an argv (default `["psql"]`). */
    psqlCommand: z.array(z.string().min(1)).min(1).optional(),
    timeoutMs: z.number().int().positive().optional(),
  }),
);

/** The datasets' snapshots (Path 3's restore): `zfs` run on the container host over `hostShell`. */
const snapshotsSchema = lazySchema(() =>
  z.strictObject({
    /** The zfs command as an argv (default `["zfs"]`; e.g. `["sudo", "-n", "zfs"]`). */
    zfsCommand: z.array(z.string().min(1)).min(1).optional(),
    timeoutMs: z.number().int().positive().optional(),
  }),
);

/** The real stack's drivers: Incus for containers, HAProxy in a container, HTTP probes, Forgejo's registry. */
const stackSchema = lazySchema(() =>
  z
    .strictObject({
      kind: z.literal("stack"),
      /** Overrides of the Veza preset topology for the environment (any topology field). */
      topology: z.record(z.string(), z.unknown()).default({}),
      incus: z
        .strictObject({
          socketPath: localPathSchema.optional(),
          endpoint: httpUrlSchema.optional(),
          project: z.string().optional(),
        })
        .default({}),
      /** HAProxy's switch options (driver-haproxy's), run inside `container`; env, colors, components and state come from the topology. */
      haproxy: z.looseObject({ container: instanceNameSchema }),
      forgejo: z
        .strictObject({
          baseUrl: httpUrlSchema,
          tokenEnv: envVarSchema,
          owner: z.string().optional(),
          repo: z.string().optional(),
        })
        .optional(),
      database: databaseSchema.optional(),
      snapshots: snapshotsSchema.optional(),
      hostShell: hostShellSchema.optional(),
    })
    .refine((stack) => stack.snapshots === undefined || stack.hostShell !== undefined, {
      path: ["snapshots"],
      message: "needs target.hostShell: zfs runs on the container host over SSH",
    }),
);

const targetSchema = lazySchema(() =>
  z.discriminatedUnion("kind", [z.strictObject({ kind: z.literal("simulated") }), stackSchema], {
    error: "expected kind simulated or stack",
  }),
);

/** `backflip.config.json`: the stack a team runs the runbook on. Every key is optional. */
export const configSchema = lazySchema(() =>
  z.strictObject({
    env: envNameSchema.optional(),
    stateDir: localPathSchema.optional(),
    target: targetSchema.default({ kind: "simulated" }),
    coordination: coordinationSchema.default({ kind: "file" }),
  }),
);

/** A validated config file. */
export type Config = z.output<typeof configSchema>;

/**
 * A config as written: what a `backflip.config.ts` exports by default (every key is
 * optional). Check it with `satisfies` — a type-only import, erased when the file loads:
 *
 * ```ts
 * import type { BackflipConfig } from "@backflip/cli";
 *
 * export default { env: "prod", coordination: { kind: "incus", prefix: "team-a" } } satisfies BackflipConfig;
 * ```
 */
export type BackflipConfig = z.input<typeof configSchema>;

/** The `stack` target's part of a config. */
export type StackConfig = z.output<typeof stackSchema>;

/** A config as read: where it came from (paths in it are relative to its folder) and what it says. */
export interface LoadedConfig {
  readonly path: string;
  readonly config: Config;
}

/** `$comment` keys document a config; they are dropped, at every level, before it is validated. */
function withoutComments(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutComments);
  if (typeof value !== "object" || value === null) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => key !== "$comment")
      .map(([key, v]) => [key, withoutComments(v)]),
  );
}

/** Validates a config's value (a JSON file's, a TypeScript file's default export); the error names the file, each bad key and what is expected there. */
export function validateConfig(path: string, value: unknown): Result<Config, string> {
  const parsed = configSchema.safeParse(withoutComments(value));
  if (parsed.success) return ok(parsed.data);
  return err(
    parsed.error.issues
      .map((i) => `${path}: ${i.path.length ? `${i.path.join(".")}: ` : ""}${i.message}`)
      .join("; "),
  );
}

/** Validates a config's JSON text; the error names the file, each bad key and what is expected there. */
export function parseConfig(path: string, text: string): Result<Config, string> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    return err(`${path}: not JSON (${(cause as Error).message})`);
  }
  return validateConfig(path, json);
}

/** The error for a config file that cannot be read: its path and the system's code. */
const cannotRead =
  (path: string) =>
  (cause: unknown): string =>
    `${path}: cannot read it (${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message})`;

/** The config at `path`: a TypeScript file's default export (jiti loaded only then), or a JSON file's text, validated. */
function readConfigFile(path: string): ResultAsync<LoadedConfig, string> {
  const config = isTsConfigPath(path)
    ? ResultAsync.fromPromise(access(path), cannotRead(path))
        .andThen(() => ResultAsync.fromSafePromise(import("./load-ts-config")))
        .andThen(({ loadTsConfig }) =>
          loadTsConfig(path).mapErr((e) =>
            e.reason === "no-default-export"
              ? `${path}: no default export (it exports ${e.exports.length ? e.exports.join(", ") : "nothing"}): write \`export default { ... } satisfies BackflipConfig\``
              : `${path}: cannot load it: ${e.message}`,
          ),
        )
        .andThen((value) => validateConfig(path, value))
    : ResultAsync.fromPromise(readFile(path, "utf8"), cannotRead(path)).andThen((text) =>
        parseConfig(path, text),
      );
  return config.map((c) => ({ path, config: c }));
}

/** Whether `path` exists (a config file `backflip` would read, or `init` would write beside). */
export const fileExists = (path: string): Promise<boolean> =>
  access(path).then(
    () => true,
    () => false,
  );

/**
 * Reads the config: `explicit` (from `--config`, relative to `cwd`; it must exist;
 * `.ts`/`.mts` is TypeScript, any other name JSON), else `backflip.config.json` or `backflip.config.ts`
 * in `cwd` — both there is an error naming both — else `null` (the built-in defaults:
 * the simulated fleet).
 */
export function loadConfig(
  explicit: string | undefined,
  cwd: string,
): ResultAsync<LoadedConfig | null, string> {
  // resolved here, not by jiti: it would take a relative path from this module's folder
  if (explicit !== undefined) return readConfigFile(resolve(cwd, explicit));
  const json = resolve(cwd, CONFIG_FILE);
  const ts = resolve(cwd, CONFIG_FILE_TS);
  return ResultAsync.fromSafePromise(Promise.all([fileExists(json), fileExists(ts)])).andThen(
    ([hasJson, hasTs]): ResultAsync<LoadedConfig | null, string> => {
      if (hasJson && hasTs)
        return errAsync(
          `${json} and ${ts} both exist: keep one (backflip will not guess which describes the stack), or pass --config`,
        );
      if (hasJson || hasTs) return readConfigFile(hasJson ? json : ts);
      return okAsync(null);
    },
  );
}

/**
 * The global flags a config stands for (a flag given on the command line wins): `--env`,
 * `--target`, `--state-dir` (relative to the config's folder), `--coordination`,
 * `--coordination-prefix`, `--etcd-endpoints`.
 */
export function configFlags({ path, config }: LoadedConfig): Record<string, string> {
  const c = config.coordination;
  return {
    ...(config.env ? { env: config.env } : {}),
    target: config.target.kind,
    ...(config.stateDir ? { "state-dir": resolve(dirname(path), config.stateDir) } : {}),
    coordination: c.kind,
    ...(c.kind === "file" ? {} : { "coordination-prefix": c.prefix }),
    ...(c.kind === "etcd" ? { "etcd-endpoints": c.endpoints.join(",") } : {}),
  };
}
