/** The states of a run. See the transition table in `transitions.ts`. */
export type RunState =
  | "planned"
  | "locked"
  | "checking"
  | "changing"
  | "verifying"
  | "succeeded"
  | "refused"
  | "reverting"
  | "reverted"
  | "revert_failed"
  | "aborted";

/** States a run ends in. */
export const TERMINAL_STATES: readonly RunState[] = [
  "succeeded",
  "refused",
  "reverted",
  "revert_failed",
  "aborted",
];
