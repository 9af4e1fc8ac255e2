/** What {@link ForgejoRegistry.retentionReport} is asked. */
export interface RetentionRequest {
  /** The active-color history's SHAs, newest first (duplicates are ignored). */
  readonly history: readonly string[];
  /** The components to check, e.g. `["backend", "stream", "web"]`. */
  readonly components: readonly string[];
  /** N of the owner's keep-N cleanup rule; defaults to the naming's `retention` (30). */
  readonly keep?: number;
  /** Warn about targets this many versions or fewer from falling out. Default 3. */
  readonly warnWithin?: number;
}

/** A rollback target close to (or past) the keep-N line. */
export interface RetentionRisk {
  readonly component: string;
  readonly sha: string;
  /** Its position among the package's versions, newest first (0 = newest). */
  readonly rank: number;
  /** New versions that can still be pushed before the rule deletes it (≤ 0: due now). */
  readonly versionsLeft: number;
}

/** One component's side of a {@link RetentionReport}. */
export interface ComponentRetention {
  readonly component: string;
  /** The registry package, e.g. `veza-backend`. */
  readonly package: string;
  /** Versions the package holds now. */
  readonly versionCount: number;
  /** History SHAs whose artifact file is in the registry, in history order. */
  readonly downloadable: readonly string[];
  /** History SHAs whose artifact is gone (or was never pushed), in history order. */
  readonly missing: readonly string[];
  /** Downloadable targets within `warnWithin` versions of falling out of keep-N. */
  readonly atRisk: readonly RetentionRisk[];
}

/**
 * Which SHAs of the active-color history Path 2 can still re-deploy, per component, and
 * which of them a keep-N cleanup rule is about to delete (pin those with a keep pattern).
 */
export interface RetentionReport {
  readonly keep: number;
  readonly warnWithin: number;
  readonly components: readonly ComponentRetention[];
  /** History SHAs downloadable for every component: the usable Path 2 targets, newest first. */
  readonly downloadableEverywhere: readonly string[];
  /** Every component's at-risk targets, fewest versions left first. */
  readonly atRisk: readonly RetentionRisk[];
}

/**
 * One component's retention facts from its versions (newest first) and the history SHAs
 * whose file is present. Pure: the registry gathers the inputs.
 */
export function componentRetention(input: {
  component: string;
  package: string;
  versionsNewestFirst: readonly string[];
  filePresent: ReadonlySet<string>;
  history: readonly string[];
  keep: number;
  warnWithin: number;
}): ComponentRetention {
  const rank = new Map(input.versionsNewestFirst.map((version, index) => [version, index] as const));
  const downloadable: string[] = [];
  const missing: string[] = [];
  const atRisk: RetentionRisk[] = [];
  for (const sha of input.history) {
    const position = rank.get(sha);
    if (position === undefined || !input.filePresent.has(sha)) {
      missing.push(sha);
      continue;
    }
    downloadable.push(sha);
    const versionsLeft = input.keep - position;
    if (versionsLeft <= input.warnWithin)
      atRisk.push({ component: input.component, sha, rank: position, versionsLeft });
  }
  return {
    component: input.component,
    package: input.package,
    versionCount: input.versionsNewestFirst.length,
    downloadable,
    missing,
    atRisk,
  };
}

/** Combines the components' facts into a {@link RetentionReport}. */
export function retentionReport(
  components: readonly ComponentRetention[],
  history: readonly string[],
  keep: number,
  warnWithin: number,
): RetentionReport {
  const everywhere = history.filter((sha) => components.every((c) => c.downloadable.includes(sha)));
  const atRisk = components.flatMap((c) => c.atRisk).sort((a, b) => a.versionsLeft - b.versionsLeft);
  return { keep, warnWithin, components, downloadableEverywhere: everywhere, atRisk };
}
