import { createHmac } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { FakeActions } from "./fake-actions";
import type { FakeDigest, FakePackageStore, FakeStoredFile } from "./fake-package-store";
import type { FakeVersionProfile } from "./fake-version";

/** Token scopes the fake checks (Forgejo's `read:package`, `write:repository`, …). */
export type FakeScope = "read:package" | "write:package" | "read:repository" | "write:repository";

/** A token the fake accepts. */
export interface FakeToken {
  /** Scopes granted. Default: all four. */
  readonly scopes?: readonly FakeScope[];
  /** Owners whose packages it may write (member with write access); all when absent. */
  readonly writeOwners?: readonly string[];
}

/** Forgejo's `[packages]` limits (`LIMIT_SIZE_GENERIC`, `LIMIT_TOTAL_OWNER_COUNT`): 403 with its texts. */
export interface FakePackageLimits {
  /** Largest generic file (bytes): `maximum allowed package type size exceeded`. */
  readonly typeSizeBytes?: number;
  /** Most packages per owner: `maximum allowed package count exceeded`. */
  readonly count?: number;
}

/** The resolved settings the routes read. */
export interface FakeSettings {
  readonly profile: FakeVersionProfile;
  readonly limits: FakePackageLimits;
  readonly owners: readonly string[];
  readonly repos: readonly string[];
  readonly tokens: Readonly<Record<string, FakeToken>>;
  readonly allowAnonymousRead: boolean;
  readonly redirectDownloads: boolean;
  readonly redirectStatus: 301 | 302 | 303 | 307 | 308;
  readonly sizeKey: "size" | "Size";
  readonly duplicateStatus: 400 | 409;
  readonly defaultPageSize: number;
  readonly maxPageSize: number;
  readonly digests: readonly FakeDigest[];
  readonly quotaBytes: number | undefined;
  readonly quotaStatus: 403 | 413;
  readonly dispatchReply: "run-info" | "no-content";
  readonly cancelEndpoint: boolean;
  readonly echoAuthorization: boolean;
}

/** Who a request authenticated as: a token, nobody, or a credential the fake rejects. */
export type FakeCaller = { kind: "token"; token: FakeToken } | { kind: "anonymous" } | { kind: "invalid" };

/** What the fake's routes share. */
export interface FakeContext {
  readonly settings: FakeSettings;
  readonly store: FakePackageStore;
  readonly actions: FakeActions;
  baseUrl: string;
  storageUrl: string;
  readonly signingKey: string;
  readonly now: () => number;
}

/**
 * Reads the credentials Forgejo accepts: `Authorization: token …`, `bearer …`, Basic
 * `user:token`, or `?token=` / `?access_token=`.
 */
export function caller(ctx: FakeContext, req: IncomingMessage, url: URL): FakeCaller {
  const header = req.headers.authorization;
  let secret: string | undefined;
  if (header) {
    const [scheme = "", value = ""] = header.split(/\s+/, 2);
    if (/^(token|bearer)$/i.test(scheme)) secret = value;
    else if (/^basic$/i.test(scheme))
      secret = Buffer.from(value, "base64").toString("utf8").split(":").slice(1).join(":");
    else return { kind: "invalid" };
  } else {
    secret = url.searchParams.get("token") ?? url.searchParams.get("access_token") ?? undefined;
  }
  if (secret === undefined) return { kind: "anonymous" };
  const token = Object.hasOwn(ctx.settings.tokens, secret) ? ctx.settings.tokens[secret] : undefined;
  return token ? { kind: "token", token } : { kind: "invalid" };
}

/** True when the caller's token has `scope`. */
export const hasScope = (c: FakeCaller, scope: FakeScope) =>
  c.kind === "token" &&
  (c.token.scopes ?? ["read:package", "write:package", "read:repository", "write:repository"]).includes(
    scope,
  );

/** The suffix a hostile server would append to errors (to prove the driver redacts them). */
export const echo = (ctx: FakeContext, req: IncomingMessage) =>
  ctx.settings.echoAuthorization && req.headers.authorization
    ? ` (received Authorization: ${req.headers.authorization})`
    : "";

/** A signed storage URL for a file (like a presigned object-store URL). */
export function signedUrl(ctx: FakeContext, file: FakeStoredFile): string {
  const expires = Math.floor(ctx.now() / 1000) + 300;
  const signature = sign(ctx, file.id, expires);
  return `${ctx.storageUrl}/blobs/${file.id}?expires=${expires}&signature=${signature}`;
}

/** The signature of a storage URL. */
export const sign = (ctx: FakeContext, id: number, expires: number) =>
  createHmac("sha256", ctx.signingKey).update(`${id}:${expires}`).digest("hex");

/** Forgejo's time format (whole seconds, UTC). */
export const isoSeconds = (ms: number) =>
  `${new Date(Math.floor(ms / 1000) * 1000).toISOString().slice(0, 19)}Z`;
