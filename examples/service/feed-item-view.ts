import type { FeedItem } from "./run-feed";

/** A feed item as the page receives it over server-sent events: what it shows, no step outputs. */
export type FeedItemView =
  | {
      readonly kind: "event";
      readonly type: string;
      readonly runId: string;
      readonly elapsedMs: number;
      readonly stepId?: string;
      readonly to?: string;
      readonly state?: string;
      readonly durationMs?: number;
      readonly message?: string;
      readonly hint?: string;
    }
  | ({ readonly kind: "outcome" } & Extract<FeedItem, { kind: "outcome" }>["outcome"]);

/** Projects a feed item for the page: the step, the state, the duration and the message; never a step's output. */
export function feedItemView(item: FeedItem): FeedItemView {
  if (item.kind === "outcome") return { kind: "outcome", ...item.outcome };
  const e = item.event;
  const base = { kind: "event" as const, type: e.type, runId: e.runId, elapsedMs: e.elapsedMs };
  switch (e.type) {
    case "plan.started":
      return { ...base, message: `started by ${e.owner}` };
    case "plan.transition":
      return { ...base, to: e.to, ...(e.note ? { message: e.note } : {}) };
    case "step.started":
    case "step.undo.started":
      return { ...base, stepId: e.stepId };
    case "step.log":
      return { ...base, stepId: e.stepId, message: e.message };
    case "step.succeeded":
    case "step.undone":
      return { ...base, stepId: e.stepId, durationMs: e.durationMs };
    case "step.failed":
    case "step.undo_failed":
      return {
        ...base,
        stepId: e.stepId,
        durationMs: e.durationMs,
        message: e.error.message,
        ...(e.error.hint ? { hint: e.error.hint } : {}),
      };
    case "plan.finished":
      return { ...base, state: e.state, durationMs: e.durationMs };
  }
}
