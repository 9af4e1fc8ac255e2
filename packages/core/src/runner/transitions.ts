import { err, ok, type Result } from "neverthrow";
import type { RunState } from "./run-state";

/**
 * Every legal move of a run, and nothing else. The runner changes state only through
 * {@link transition}, so an illegal transition cannot happen.
 *
 * - `planned → locked → checking → changing → verifying → succeeded`: the happy path.
 * - `checking → verifying`: a plan with no change steps skips `changing` (it still
 *   verifies, with zero or more verify steps, before it succeeds).
 * - `checking → refused`: a check failed; nothing changed.
 * - `changing | verifying → reverting → reverted | revert_failed`: a change or a
 *   verification failed; completed changes are undone newest first.
 * - `planned | locked | checking | changing | verifying → aborted`: the AbortSignal fired;
 *   the run stopped at the next safe point. When changes completed, `aborted → reverting`.
 *   `reverting` cannot be aborted: an abort asks for the revert that is already under way.
 */
export const TRANSITIONS: Readonly<Record<RunState, readonly RunState[]>> = Object.freeze({
  planned: Object.freeze(["locked", "aborted"] as const),
  locked: Object.freeze(["checking", "aborted"] as const),
  checking: Object.freeze(["changing", "verifying", "refused", "aborted"] as const),
  changing: Object.freeze(["verifying", "reverting", "aborted"] as const),
  verifying: Object.freeze(["succeeded", "reverting", "aborted"] as const),
  reverting: Object.freeze(["reverted", "revert_failed"] as const),
  aborted: Object.freeze(["reverting"] as const),
  succeeded: Object.freeze([] as const),
  refused: Object.freeze([] as const),
  reverted: Object.freeze([] as const),
  revert_failed: Object.freeze([] as const),
});

/** An attempt to move a run along an edge that is not in {@link TRANSITIONS}. */
export interface IllegalTransition {
  readonly _tag: "IllegalTransition";
  readonly from: RunState;
  readonly to: RunState;
  readonly message: string;
}

/** True when `from → to` is in {@link TRANSITIONS}. */
export function canTransition(from: RunState, to: RunState): boolean {
  return TRANSITIONS[from]?.includes(to) === true;
}

/** Moves `from → to` when the table allows it; otherwise an {@link IllegalTransition}. */
export function transition(from: RunState, to: RunState): Result<RunState, IllegalTransition> {
  if (canTransition(from, to)) return ok(to);
  const allowed = TRANSITIONS[from]?.join(", ") || "nothing (terminal)";
  return err({
    _tag: "IllegalTransition",
    from,
    to,
    message: `illegal run transition ${from} → ${to} (from ${from} a run may go to: ${allowed})`,
  });
}
