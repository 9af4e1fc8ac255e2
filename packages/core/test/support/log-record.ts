import type { JournalRecord, RunEvent } from "../../src/index";

/** The run id the journal tests write under. */
export const RUN = "20261126T053300Z-3fa9c1";

/** A `step.log` journal record of {@link RUN} with sequence number `seq`. */
export const record = (seq: number): JournalRecord => ({
  seq,
  event: {
    type: "step.log",
    runId: RUN,
    at: new Date(0).toISOString(),
    elapsedMs: seq,
    stepId: "flip",
    message: `line ${seq}`,
  } satisfies RunEvent,
});
