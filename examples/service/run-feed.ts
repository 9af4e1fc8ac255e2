import type { RunEvent } from "@backflip/core";

/** How a run ended, from its `Result`: what the page shows as the outcome. */
export interface RunOutcome {
  readonly ok: boolean;
  /** The run's final state (`succeeded`, `refused`, `reverted`, …) or the error's kind when it never started. */
  readonly state: string;
  readonly message: string;
  /** The runbook's next move, when it did not succeed. */
  readonly hint?: string;
}

/** One item of a run's feed: an event as the runner emitted it, or the outcome (always last). */
export type FeedItem =
  | { readonly kind: "event"; readonly event: RunEvent }
  | { readonly kind: "outcome"; readonly outcome: RunOutcome };

/**
 * A live run's events for its watchers: every item is kept, so a watcher that connects
 * late gets the run from its start, then each item as it happens, the outcome last.
 */
export class RunFeed {
  private readonly items: FeedItem[] = [];
  private readonly listeners = new Set<(item: FeedItem) => void>();

  constructor(readonly runId: string) {}

  /** Whether the outcome is in. */
  get finished(): boolean {
    return this.items.at(-1)?.kind === "outcome";
  }

  /** Adds an event of the run. */
  push(event: RunEvent): void {
    this.emit({ kind: "event", event });
  }

  /** Adds the outcome: the feed's last item. */
  finish(outcome: RunOutcome): void {
    this.emit({ kind: "outcome", outcome });
  }

  /** Replays every item so far to `listener`, then passes it each new one; returns the unsubscribe. */
  subscribe(listener: (item: FeedItem) => void): () => void {
    for (const item of this.items) listener(item);
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(item: FeedItem): void {
    if (this.finished) return;
    this.items.push(item);
    for (const listener of this.listeners) listener(item);
  }
}
