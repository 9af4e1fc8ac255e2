/** Which recipe made a plan: a runbook path, `custom`, or the path of a recipe you registered. */
export type RecipePath =
  | "fast-flip"
  | "redeploy"
  | "redeploy-pipeline"
  | "rebuild-push"
  | "inverse-sql"
  | "restore-snapshot"
  | "cleanup"
  | "custom"
  | (string & {});

/** What a plan is for: recorded in the journal so a resume can rebuild the same plan. */
export interface PlanIntent {
  readonly path: RecipePath;
  /** The environment, e.g. `staging`. */
  readonly env: string;
  /** The color traffic moves away from, when it moves. */
  readonly from?: string;
  /** The color traffic moves to, when it moves. */
  readonly to?: string;
  /** The release SHA rolled back to, when there is one. */
  readonly sha?: string;
  /** Who asked for it. */
  readonly actor: string;
  /** Why, in the operator's words. */
  readonly reason: string;
  /** Recipe parameters (JSON) needed to rebuild the plan on resume. */
  readonly params?: Readonly<Record<string, unknown>>;
}
