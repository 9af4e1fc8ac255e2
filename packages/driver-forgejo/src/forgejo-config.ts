import type { DriverError, Topology } from "@backflip/core";
import { httpUrlSchema, invalidInput, lazySchema, parseInput } from "@backflip/core/driver-kit";
import { err, ok, type Result } from "neverthrow";
import { Agent, type Dispatcher } from "undici";
import * as z from "zod";
import { type ArtifactNaming, namingFromTopology } from "./artifact-naming";
import type { ForgejoEvent } from "./forgejo-event";
import { fileNameSchema, ownerNameSchema, packageNameSchema, repoNameSchema } from "./forgejo-names";
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from "./retry-policy";

/** How the Forgejo drivers reach the server and name things. */
export interface ForgejoConfig {
  /**
   * The Forgejo root URL, e.g. `https://forgejo.example.org` (a subpath is kept). `http://`
   * only for a loopback host (the token would travel in clear); no credentials, no query.
   */
  readonly baseUrl: string;
  /** A personal access token, sent as `Authorization: token …`; never logged. */
  readonly token: string;
  /** The package owner (user or org); defaults to the topology's `registry.owner`. */
  readonly owner?: string;
  /** The repository whose Actions run the workflows (Pipeline only). */
  readonly repo?: string;
  /** The repository owner for Actions; defaults to `owner`. */
  readonly repoOwner?: string;
  /** Where the artifact names come from: a topology … */
  readonly topology?: Topology;
  /** … or the naming patterns themselves (wins over `topology`). */
  readonly naming?: ArtifactNaming;
  /** Extra CA certificates (PEM) to trust; verification always stays on. */
  readonly ca?: string | Buffer | ReadonlyArray<string | Buffer>;
  /** Retries for idempotent requests. */
  readonly retry?: Partial<RetryPolicy>;
  /** Fail a request when no response headers arrive within this time (ms). Default 30 000. */
  readonly headersTimeoutMs?: number;
  /** Fail a transfer that stalls this long between two chunks (ms). Default 60 000. */
  readonly bodyTimeoutMs?: number;
  /**
   * An undici dispatcher to send through (proxies, pools, tests); excludes `ca`. File
   * uploads reuse their read buffers, so it must send a body chunk before pulling many more
   * (undici's own dispatchers do; one that keeps chunks to send later must copy them).
   */
  readonly dispatcher?: Dispatcher;
  /** Ask dispatch for the run (`return_run_info`, Forgejo ≥ 11). Default true. */
  readonly returnRunInfo?: boolean;
  /** After a 204 dispatch: how long to look for the new run (ms). Default 30 000. */
  readonly runLookupTimeoutMs?: number;
  /** After a 204 dispatch: poll interval of the run lookup (ms). Default 1 000. */
  readonly runLookupPollMs?: number;
  /** Clock difference tolerated between this host and the server (ms). Default 120 000. */
  readonly clockSkewMs?: number;
  /** Receives request, redirect and retry events (never secrets). */
  readonly onEvent?: (event: ForgejoEvent) => void;
}

/** A validated {@link ForgejoConfig}, with defaults applied. */
export interface ResolvedForgejoConfig {
  readonly baseUrl: URL;
  readonly token: string;
  readonly owner: string | undefined;
  readonly repo: string | undefined;
  readonly repoOwner: string | undefined;
  readonly naming: ArtifactNaming | undefined;
  readonly retry: RetryPolicy;
  readonly headersTimeoutMs: number;
  readonly bodyTimeoutMs: number;
  readonly dispatcher: Dispatcher | undefined;
  readonly returnRunInfo: boolean;
  readonly runLookupTimeoutMs: number;
  readonly runLookupPollMs: number;
  readonly clockSkewMs: number;
  readonly onEvent: ((event: ForgejoEvent) => void) | undefined;
}

/** A host name that can only be this machine: `localhost`, 127.0.0.0/8 or `::1` (as URL normalises them). */
function isLoopback(hostname: string): boolean {
  return (
    hostname.toLowerCase() === "localhost" || /^127\.\d+\.\d+\.\d+$/.test(hostname) || hostname === "[::1]"
  );
}

const ms = (max: number) => z.number().int().min(1).max(max);
const pattern = (...names: string[]) =>
  z
    .string()
    .min(1)
    .refine(
      (p) => [...p.matchAll(/\{(\w+)\}/g)].every((m) => names.includes(m[1] ?? "")),
      `only the placeholders ${names.map((n) => `{${n}}`).join(", ")} are allowed`,
    );

/** True when `p`, its placeholders filled with a sample, is a name of `schema` starting with a letter or digit. */
const fillsTo = (schema: z.ZodType<string>) => (p: string) => {
  const filled = p.replace(/\{\w+\}/g, "x");
  return /^[A-Za-z0-9]/.test(filled) && schema.safeParse(filled).success;
};

const namingSchema = lazySchema(() =>
  z.object({
    packagePattern: pattern("component")
      .refine((p) => p.includes("{component}"), "must contain {component}")
      .refine(
        fillsTo(packageNameSchema),
        "once filled, a package name: starts with a letter or digit, then letters, digits, '.', '_', '+' or '-'",
      ),
    filePattern: pattern("component", "sha")
      .refine((p) => p.includes("{sha}"), "must contain {sha}")
      .refine(
        fillsTo(fileNameSchema),
        "once filled, a file name: starts with a letter or digit, then letters, digits, '.', '_', '+' or '-'",
      ),
    retention: z.number().int().min(1),
  }),
);

const configSchema = lazySchema(() =>
  z.object({
    baseUrl: httpUrlSchema.refine(
      (u) => !URL.canParse(u) || new URL(u).protocol === "https:" || isLoopback(new URL(u).hostname),
      "http:// would send the token in clear: use https:// (http only for a loopback host: 127.0.0.0/8, ::1, localhost)",
    ),
    token: z
      .string({ error: "expected a token string" })
      .regex(/^[\x21-\x7e]{1,512}$/, "expected a non-empty token of printable characters without spaces"),
    owner: ownerNameSchema.optional(),
    repo: repoNameSchema.optional(),
    repoOwner: ownerNameSchema.optional(),
    naming: namingSchema.optional(),
    retry: z
      .object({
        attempts: z.number().int().min(1).max(20),
        baseDelayMs: z.number().int().min(0).max(60_000),
        maxDelayMs: z.number().int().min(0).max(600_000),
        deadlineMs: ms(3_600_000),
      })
      .partial()
      .optional(),
    headersTimeoutMs: ms(3_600_000).optional(),
    bodyTimeoutMs: ms(3_600_000).optional(),
    returnRunInfo: z.boolean().optional(),
    runLookupTimeoutMs: ms(3_600_000).optional(),
    runLookupPollMs: ms(600_000).optional(),
    clockSkewMs: z.number().int().min(0).max(86_400_000).optional(),
  }),
);

/** Validates a {@link ForgejoConfig} (without ever echoing the token) and applies defaults. */
export function resolveForgejoConfig(
  config: ForgejoConfig,
  op: string,
): Result<ResolvedForgejoConfig, DriverError> {
  const where = { driver: "forgejo", op, hint: "fix the named Forgejo driver setting" };
  const { topology, dispatcher, ca, onEvent, ...plain } = config;
  const withNaming = {
    ...plain,
    owner: plain.owner ?? topology?.registry?.owner,
    naming: plain.naming ?? (topology ? namingFromTopology(topology) : undefined),
  };
  const parsed = parseInput(configSchema, withNaming, where);
  if (parsed.isErr()) return err(parsed.error);
  if (ca !== undefined && dispatcher !== undefined) {
    return err(invalidInput("forgejo", op, "ca and dispatcher: give one or the other", where.hint));
  }
  const c = parsed.value;
  const base = new URL(c.baseUrl);
  if (!base.pathname.endsWith("/")) base.pathname = `${base.pathname}/`;
  const agent =
    dispatcher ??
    (ca === undefined
      ? undefined
      : new Agent({ connect: { ca: ca as string | Buffer | (string | Buffer)[] } }));
  return ok({
    baseUrl: base,
    token: config.token,
    owner: c.owner,
    repo: c.repo,
    repoOwner: c.repoOwner ?? c.owner,
    naming: c.naming,
    retry: { ...DEFAULT_RETRY_POLICY, ...c.retry },
    headersTimeoutMs: c.headersTimeoutMs ?? 30_000,
    bodyTimeoutMs: c.bodyTimeoutMs ?? 60_000,
    dispatcher: agent,
    returnRunInfo: c.returnRunInfo ?? true,
    runLookupTimeoutMs: c.runLookupTimeoutMs ?? 30_000,
    runLookupPollMs: c.runLookupPollMs ?? 1_000,
    clockSkewMs: c.clockSkewMs ?? 120_000,
    onEvent,
  });
}
