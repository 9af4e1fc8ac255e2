import { type DriverError, driverError } from "@backflip/core";

/** The server a driver talks to, from `GET /api/v1/version`. */
export interface ServerVersion {
  /** Forgejo answers like `11.0.1+gitea-1.22.0`; Gitea answers its own `1.22.6`. */
  readonly product: "forgejo" | "gitea";
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
  /** The version text as the server sent it. */
  readonly text: string;
}

/** What the server's Actions and package APIs can do (see the README's compatibility table). */
export interface ForgejoCapabilities {
  /** `POST …/actions/workflows/{file}/dispatches`: Forgejo ≥ 8, Gitea ≥ 1.24. */
  readonly dispatch: boolean;
  /** Dispatch answers `201 {id, run_number, jobs}` to `return_run_info`: Forgejo ≥ 11. */
  readonly returnRunInfo: boolean;
  /** `GET …/actions/runs` and `…/runs/{id}`: Forgejo ≥ 12; older servers list only tasks. */
  readonly runsApi: boolean;
  /** The runs list honours `workflow_id` and `ref`: Forgejo ≥ 15 (older ones ignore them). */
  readonly runFilters: boolean;
  /** `POST …/actions/runs/{id}/cancel`: Forgejo ≥ 16. */
  readonly cancel: boolean;
  /** `HEAD` on a generic package file: Forgejo ≥ 16. */
  readonly head: boolean;
}

/** The first version with each capability, as the errors name it. */
export const CAPABILITY_SINCE: Readonly<Record<keyof ForgejoCapabilities, string>> = {
  dispatch: "Forgejo 8.0 (Gitea 1.24)",
  returnRunInfo: "Forgejo 11.0",
  runsApi: "Forgejo 12.0",
  runFilters: "Forgejo 15.0",
  cancel: "Forgejo 16.0",
  head: "Forgejo 16.0",
};

/** Every capability: what the driver assumes when the server does not say its version. */
export const ALL_CAPABILITIES: ForgejoCapabilities = {
  dispatch: true,
  returnRunInfo: true,
  runsApi: true,
  runFilters: true,
  cancel: true,
  head: true,
};

/** No capability: Gitea's starting point. */
const NONE: ForgejoCapabilities = {
  dispatch: false,
  returnRunInfo: false,
  runsApi: false,
  runFilters: false,
  cancel: false,
  head: false,
};

/**
 * Parses a `/api/v1/version` text: `X.Y.Z+gitea-…` (or any major ≥ 7) is Forgejo, a
 * plain `1.Y.Z` is Gitea. `null` when it is neither.
 */
export function parseServerVersion(text: string): ServerVersion | null {
  const m = /^v?(\d+)\.(\d+)(?:\.(\d+))?/.exec(text.trim());
  if (!m) return null;
  const [major, minor, patch] = [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
  const product = major >= 7 || /\+gitea-/.test(text) ? "forgejo" : "gitea";
  return { product, major, minor, patch, text: text.trim() };
}

/** `Forgejo 11.0.4` / `Gitea 1.22.6`. */
export function describeVersion(v: ServerVersion): string {
  return `${v.product === "forgejo" ? "Forgejo" : "Gitea"} ${v.major}.${v.minor}.${v.patch}`;
}

/** The capabilities of a server version; every capability when the version is unknown. */
export function capabilitiesOf(v: ServerVersion | null): ForgejoCapabilities {
  if (v === null) return ALL_CAPABILITIES;
  if (v.product === "gitea") {
    const atLeast = (minor: number) => v.major > 1 || (v.major === 1 && v.minor >= minor);
    return { ...NONE, dispatch: atLeast(24) };
  }
  const from = (major: number) => v.major >= major;
  return {
    dispatch: from(8),
    returnRunInfo: from(11),
    runsApi: from(12),
    runFilters: from(15),
    cancel: from(16),
    head: from(16),
  };
}

/** `unsupported`: the server's version lacks `capability`; the hint is the runbook's manual fallback. */
export function unsupportedError(
  op: string,
  what: string,
  capability: keyof ForgejoCapabilities,
  version: ServerVersion,
  fallback: string,
): DriverError {
  return driverError({
    driver: "forgejo",
    op,
    reason: "unsupported",
    message: `${describeVersion(version)} has no ${what} (it exists from ${CAPABILITY_SINCE[capability]})`,
    hint: fallback,
    details: { serverVersion: version.text, capability },
  });
}
