import type { DriverErrorReason } from "@backflip/core";

/**
 * Forgejo's package limit refusals (`services/packages/packages.go`: 403 with these texts)
 * and its quota refusal (`enforcePackagesQuota`, v9+: 413 `quota exceeded`), each with the
 * runbook's next move.
 */
const LIMITS: readonly (readonly [RegExp, string])[] = [
  [
    /maximum allowed package type size exceeded/i,
    "the file is larger than the server allows for generic packages ([packages] LIMIT_SIZE_GENERIC in app.ini): ask the Forgejo admin to raise it; deleting old versions does not help",
  ],
  [
    /maximum allowed package count exceeded/i,
    "the owner has as many packages as the server allows ([packages] LIMIT_TOTAL_OWNER_COUNT): delete old versions (see retentionReport) or ask the Forgejo admin to raise it",
  ],
  [
    /storage quota exceeded/i,
    "the owner's package storage is full ([packages] LIMIT_TOTAL_OWNER_SIZE): delete old versions (see retentionReport) or ask the Forgejo admin to raise it",
  ],
  [
    /quota exceeded/i,
    "the owner's package quota is exhausted: delete old versions (see retentionReport) or raise the quota",
  ],
];

/** The hint for a 413 that carries no quota text: a body limit, usually a proxy's. */
const BODY_TOO_LARGE =
  "the request body was refused as too large, most likely by a proxy in front of Forgejo: raise its body limit (e.g. nginx client_max_body_size)";

/** The hint for a package limit or quota refusal (403 with a limit text, or 413); `undefined` otherwise. */
export function limitHint(status: number, text: string): string | undefined {
  if (status !== 403 && status !== 413) return undefined;
  const hint = LIMITS.find(([re]) => re.test(text))?.[1];
  return hint ?? (status === 413 ? BODY_TOO_LARGE : undefined);
}

/** Old Gitea answers a duplicate upload with 400 and a "duplicate"/"already exists" text. */
export function isDuplicate(text: string): boolean {
  return /duplicate|already exist/i.test(text);
}

/** The error reason for an HTTP status (and the server's text, for limits and duplicates). */
export function reasonForStatus(status: number, text: string): DriverErrorReason {
  if (status === 400 && isDuplicate(text)) return "conflict";
  if (limitHint(status, text) !== undefined) return "failed";
  if (status === 400 || status === 422) return "invalid_input";
  if (status === 401 || status === 403) return "unauthorized";
  if (status === 404) return "not_found";
  if (status === 409) return "conflict";
  if (status === 408 || status === 504) return "timeout";
  if (status === 429 || status >= 500) return "unavailable";
  return "failed";
}

/** The message of a `/api/v1` JSON error (`{"message": …}`), else the text itself. */
export function extractMessage(raw: string): string {
  if (!raw.startsWith("{")) return raw;
  try {
    const parsed = JSON.parse(raw) as { message?: unknown };
    return typeof parsed.message === "string" ? parsed.message : raw;
  } catch {
    return raw;
  }
}
