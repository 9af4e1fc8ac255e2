import type { DriverError } from "../errors/driver-error";
import { driverError } from "../errors/driver-error";
import type { StepKind } from "../plan/step";
import type { AppendOptions, Journal, JournalRecord } from "../ports/journal";
import type { Fence } from "../ports/lease-lock";
import type { RunEvent, RunEventBase } from "./run-event";
import { applyEvent, type RunProgress } from "./run-progress";

/** A {@link RunEvent} before the log stamps it with run id, time and elapsed time. */
export type RunEventBody = RunEvent extends infer E
  ? E extends RunEvent
    ? Omit<E, keyof RunEventBase>
    : never
  : never;

/** What an {@link EventLog} needs. */
export interface EventLogInit {
  readonly runId: string;
  readonly journal: Journal;
  readonly now: () => Date;
  /** Epoch milliseconds of the run's start (`elapsedMs` counts from it). */
  readonly startedMs: number;
  /** The records already in the journal (a resumed run goes on after them). */
  readonly records: readonly JournalRecord[];
  readonly onEvent?: (event: RunEvent) => void;
  /** The run's lease, passed with every append so a journal fenced by the lock refuses a stale holder. */
  readonly fence?: Fence;
}

async function appendSafely(journal: Journal, runId: string, record: JournalRecord, options: AppendOptions) {
  try {
    const result = await journal.append(runId, record, options);
    return result.isErr() ? result.error : undefined;
  } catch (cause) {
    return driverError({
      driver: journal.name,
      op: "append",
      reason: "failed",
      message: `the journal threw: ${(cause as Error)?.message ?? String(cause)}`,
      cause,
    });
  }
}

/**
 * The run's event stream: every event is appended to the journal (awaited; synced when
 * it must be durable before the run goes on, see `#mustSync`) before it is
 * folded into the run's progress and passed to `onEvent`, one at a time, in order.
 * The first failed append stops the stream for good: nothing after it is journaled or
 * observed, which is exactly what a killed process leaves behind. Nothing is written
 * after `plan.finished` (a late `ctx.log` from a step that outlived its timeout is dropped).
 */
export class EventLog {
  readonly runId: string;
  readonly #init: EventLogInit;
  readonly #records: JournalRecord[];
  #chain: Promise<void> = Promise.resolve();
  #failure: DriverError | undefined;
  #closed = false;
  #progress: RunProgress | undefined;

  /** A log continuing after `init.records`. */
  constructor(init: EventLogInit) {
    this.runId = init.runId;
    this.#init = init;
    this.#records = [...init.records];
  }

  /** The first journal failure, once there was one. */
  get failure(): DriverError | undefined {
    return this.#failure;
  }

  /** Every record of the run so far, in order. */
  get records(): readonly JournalRecord[] {
    return this.#records;
  }

  /** Folds each journaled event into `progress` from now on. */
  track(progress: RunProgress): void {
    this.#progress = progress;
  }

  /** Milliseconds since the run started. */
  elapsed(): number {
    return this.#init.now().getTime() - this.#init.startedMs;
  }

  /** Queues `body` (for callers that cannot wait, like `ctx.log`); {@link emit} waits for it. */
  enqueue(body: RunEventBody): void {
    this.#chain = this.#chain.then(() => this.#write(body));
  }

  /** Appends `body` durably after everything queued before it; `false` when the journal has failed. */
  async emit(body: RunEventBody): Promise<boolean> {
    this.enqueue(body);
    await this.#chain;
    return this.#failure === undefined;
  }

  /**
   * Whether `event` must be durable before the run goes on: a change step's start and
   * failure (its start precedes its side effects), every undo (a side effect), and the
   * end of the run. A change step's success, checks, verifications, logs and transitions
   * are synced with the next such record: after an OS crash the journal still ends at a
   * point a killed run could have reached (a change step still "running" is reconciled).
   */
  #mustSync(event: RunEvent): boolean {
    if (event.type === "plan.finished") return true;
    if (event.type.startsWith("step.undo") || event.type === "step.undone") return true;
    if (event.type === "step.log" || event.type === "step.succeeded" || !("stepId" in event)) return false;
    return this.#kindOf(event.stepId) !== "check" && this.#kindOf(event.stepId) !== "verify";
  }

  /** A step's kind, from the run's `plan.started` record (`undefined` when unknown: then synced). */
  #kindOf(stepId: string): StepKind | undefined {
    const first = this.#records[0]?.event;
    return first?.type === "plan.started" ? first.steps.find((st) => st.id === stepId)?.kind : undefined;
  }

  async #write(body: RunEventBody): Promise<void> {
    if (this.#failure || this.#closed) return;
    const at = this.#init.now();
    const event = {
      ...body,
      runId: this.runId,
      at: at.toISOString(),
      elapsedMs: at.getTime() - this.#init.startedMs,
    } as RunEvent;
    const record: JournalRecord = { seq: this.#records.length, event };
    const { fence } = this.#init;
    const failure = await appendSafely(this.#init.journal, this.runId, record, {
      sync: this.#mustSync(event),
      ...(fence ? { fence } : {}),
    });
    if (failure) {
      this.#failure = failure;
      return;
    }
    this.#records.push(record);
    if (event.type === "plan.finished") this.#closed = true;
    if (this.#progress) applyEvent(this.#progress, event);
    try {
      this.#init.onEvent?.(event);
    } catch {
      // An observer's own failure must not change the run.
    }
  }
}
