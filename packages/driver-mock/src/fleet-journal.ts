import type { DriverError, Journal, JournalRecord } from "@backflip/core";
import { err, ok, type ResultAsync } from "neverthrow";
import { type FleetRuntime, opError, operation } from "./drivers/operation";

/**
 * The fleet's journal: core's in-memory journal (same contract as the file journal)
 * behind the fault injector (`journal.*` ops). With `crashAfter`, it behaves like a
 * process killed after that many appends through it: every later append fails
 * (`aborted`) and records nothing, while the store stays readable for a resume.
 */
export class FleetJournal implements Journal {
  readonly name: string;
  #appended = 0;

  /** Wraps `store` (shared by every journal of the fleet). */
  constructor(
    readonly store: Journal,
    readonly runtime: FleetRuntime,
    readonly crashAfter: number | null = null,
  ) {
    this.name = crashAfter === null ? "mock-journal" : `mock-journal (crashes after ${crashAfter})`;
  }

  append(runId: string, record: JournalRecord): ResultAsync<void, DriverError> {
    return operation(
      this.runtime,
      { op: "journal.append", target: () => runId },
      () => ok(undefined),
      async () => {
        if (this.crashAfter !== null && this.#appended >= this.crashAfter) {
          return err(
            opError(
              "journal.append",
              "aborted",
              `simulated crash: the process was killed after ${this.crashAfter} journal record(s)`,
            ),
          );
        }
        const appended = await this.store.append(runId, record);
        if (appended.isOk()) this.#appended++;
        return appended;
      },
    );
  }

  read(runId: string): ResultAsync<JournalRecord[], DriverError> {
    return operation(
      this.runtime,
      { op: "journal.read", target: () => runId },
      () => ok(undefined),
      () => this.store.read(runId),
    );
  }

  list(): ResultAsync<string[], DriverError> {
    return operation(
      this.runtime,
      { op: "journal.list" },
      () => ok(undefined),
      () => this.store.list(),
    );
  }
}
