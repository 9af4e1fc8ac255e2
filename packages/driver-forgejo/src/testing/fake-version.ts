/**
 * The server versions the fake plays, oldest Forgejo first, then Gitea. Each switches
 * every version-dependent behaviour (see {@link fakeVersionProfile}).
 */
export const FAKE_FORGEJO_VERSIONS = ["8.0.0", "11.0.4", "12.0.0", "15.0.3", "16.0.0", "gitea-1.22"] as const;

/** One version of {@link FAKE_FORGEJO_VERSIONS}. */
export type FakeForgejoVersion = (typeof FAKE_FORGEJO_VERSIONS)[number];

/** The version played when none is given: the newest Forgejo. */
export const DEFAULT_FAKE_VERSION: FakeForgejoVersion = "16.0.0";

/**
 * What one server version does, as read from Forgejo's own source at its tag (PROTOCOLS.md
 * §1, the "Verified against Forgejo's own source" block) and, for Gitea 1.22, from Gitea's
 * history (go-gitea#26673 tasks list; go-gitea#33525 dispatch API, first in 1.24).
 */
export interface FakeVersionProfile {
  /** What `GET /api/v1/version` answers, e.g. `11.0.4+gitea-1.22.0`. */
  readonly versionText: string;
  /** `POST …/workflows/{file}/dispatches` exists: Forgejo ≥ 8 (#3334); not Gitea 1.22. */
  readonly dispatch: boolean;
  /** `return_run_info` gives `201 {id, run_number, jobs}`: Forgejo ≥ 11 (#7193, #7286). */
  readonly returnRunInfo: boolean;
  /** `GET …/actions/runs` and `…/runs/{id}`: Forgejo ≥ 12 (#7699). */
  readonly runsApi: boolean;
  /** The runs list honours `workflow_id` and `ref`: Forgejo ≥ 15 (#11584). */
  readonly runFilters: boolean;
  /** `POST …/runs/{id}/cancel`: Forgejo ≥ 16 (#12957). */
  readonly cancel: boolean;
  /** `HEAD` on a generic file (`CheckPackageFileExistence`): Forgejo ≥ 16 (#12865). */
  readonly head: boolean;
  /** `enforcePackagesQuota` answers 413 `quota exceeded`: Forgejo ≥ 9 (quotas). */
  readonly quota413: boolean;
  /**
   * A `boolean` dispatch input is `val == "on"` (the web form's checkbox), so `"true"`
   * arrives as `false`: Forgejo < 14 (`services/actions/workflows.go`). From 14, `"on"`
   * becomes `"true"` and other values pass as sent.
   */
  readonly booleanInputOnlyOn: boolean;
}

/** The behaviours of `version`. */
export function fakeVersionProfile(version: FakeForgejoVersion): FakeVersionProfile {
  if (version === "gitea-1.22") {
    return {
      versionText: "1.22.6",
      dispatch: false,
      returnRunInfo: false,
      runsApi: false,
      runFilters: false,
      cancel: false,
      head: false,
      quota413: false,
      booleanInputOnlyOn: false,
    };
  }
  const major = Number(version.split(".")[0]);
  return {
    versionText: `${version}+gitea-1.22.0`,
    dispatch: major >= 8,
    returnRunInfo: major >= 11,
    runsApi: major >= 12,
    runFilters: major >= 15,
    cancel: major >= 16,
    head: major >= 16,
    quota413: major >= 9,
    booleanInputOnlyOn: major < 14,
  };
}
