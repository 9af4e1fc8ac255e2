/**
 * The runbook's own words, quoted where a decision, a hint or a postmortem needs them
 * (`ROLLBACK-RUNBOOK.md`). Kept verbatim so an operator recognises them.
 */
export const RUNBOOK = {
  neverCameUp: "Phase F's auto-revert already flipped HAProxy for you. No action needed beyond reading logs.",
  path1:
    "Use Path 1 (HAProxy fast-flip) to flip BACK to the prior color. The prior color is still alive until the next deploy recycles it.",
  path1Precheck:
    "Verifies all three target-color containers are RUNNING (fails loud if not — switch to Path 2).",
  path2: "If the prior color was already cleaned up, use Path 2.",
  path2When:
    "Use when the prior color's containers were already destroyed (next deploy recycled them) but the old tarball is still in the Forgejo package registry.",
  migrationCaveat:
    "Migrations are not rolled back automatically. The schema after Path 2 is the post-deploy schema, not the pre-deploy schema. If it isn't (i.e., the failed deploy included a destructive migration), see Path 3.",
  path3Purged: "Forgejo registry has been purged of the SHA you need.",
  path3Rebuild: "Tarball missing — rebuild and push manually. Then run Path 2.",
  path3Schema:
    "The schema migration is destructive and the app crashes against the post-migration schema. The destructive migration's PR description should document the inverse SQL. Then run Path 2 to deploy the older binary.",
  path3Host:
    "The Incus host itself is in a bad state. Roll the dataset back to the pre-deploy snapshot. This loses any data written after the snapshot. Last-resort only.",
  singleUser:
    "Single user reports a bug. Triage first; rolling back affects 100% of users to fix something hitting <1%.",
  performance:
    "Performance regression. If the new SHA is up but slow, scale horizontally before rolling back. (Future Hetzner offload covers this; for now, accept the regression and prep a fix-forward.)",
  cosmetic: "Cosmetic UI bug. Hot-fix the frontend and let the deploy pipeline ship it as a normal commit.",
  notOnCall: "You're not on-call and didn't get a page. Don't rollback \"to be safe\". The on-call's call.",
  cleanupLive: "Run the Veza cleanup workflow with the failed color once forensics are done.",
} as const;

/** The hints failed checks carry: the runbook's next move. */
export const HINTS = {
  usePath2: "use Path 2: redeploy the prior SHA from the registry (redeploy / redeployViaPipeline)",
  usePath3Rebuild: "Path 3: rebuild and push the missing artifact (rebuildAndPush), then run Path 2",
  usePath3InverseSql:
    "Path 3: apply the destructive migration's inverse SQL (applyInverseSql), then run Path 2",
  usePipeline:
    "the idle color's containers are gone: use redeployViaPipeline (rollback.yml mode=full recreates them)",
  neverCleanLive: "never clean up the live color: flip away from it first (Path 1)",
} as const;
