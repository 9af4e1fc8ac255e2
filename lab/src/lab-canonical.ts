import type { TrafficState } from "@backflip/core";
import { LAB_RELEASES } from "./lab-releases";

/** The release each color runs after `lab up` (and after `resetLab`). */
export const CANONICAL_RELEASE: Readonly<Record<string, string>> = {
  blue: LAB_RELEASES.current,
  green: LAB_RELEASES.prior,
};

/** The actor the lab writes into history lines it makes itself. */
export const LAB_ACTOR = "lab";

/**
 * The traffic state after `lab up`: blue live with `current`, green the prior color
 * with `prior`, and blue with `old` before that (newest first).
 */
export function canonicalTrafficState(now: Date = new Date()): TrafficState {
  const at = (hoursAgo: number) => new Date(now.getTime() - hoursAgo * 3_600_000).toISOString();
  return {
    activeColor: "blue",
    history: [
      { at: at(0), color: "blue", sha: LAB_RELEASES.current, actor: LAB_ACTOR },
      { at: at(24), color: "green", sha: LAB_RELEASES.prior, actor: LAB_ACTOR },
      { at: at(48), color: "blue", sha: LAB_RELEASES.old, actor: LAB_ACTOR },
    ],
  };
}
