import type { RunStatus } from "@backflip/core";

/** A workflow file the fake knows, and the statuses its runs go through. */
export interface FakeWorkflow {
  /**
   * The statuses a run reports, in order; each is held for `pollsPerStatus` reads of
   * the run, and the last one stays (a non-final last status makes a run that never ends).
   */
  readonly statuses: readonly RunStatus[];
  /** Job names returned by a 201 dispatch. Default `["run"]`. */
  readonly jobs?: readonly string[];
  /** Inputs the dispatch must carry (400 otherwise). */
  readonly requiredInputs?: readonly string[];
  /** Inputs of `type: boolean` (their values are read as Forgejo's version reads them). */
  readonly booleanInputs?: readonly string[];
  /** Refs the workflow exists at (404 elsewhere); any ref when absent. */
  readonly refs?: readonly string[];
  /**
   * What the workflow does when dispatched (tests wire it to a simulated fleet, as the
   * real `rollback.yml` acts on the hosts). Its answer replaces `statuses` for that run.
   */
  readonly perform?: (run: {
    readonly ref: string;
    readonly inputs: Readonly<Record<string, string>>;
  }) => Promise<readonly RunStatus[]>;
}

/** A run as the fake keeps it. */
export interface FakeRun {
  readonly id: number;
  readonly runNumber: number;
  readonly repo: string;
  readonly workflow: string;
  readonly ref: string;
  /** The inputs exactly as dispatched. */
  readonly inputs: Readonly<Record<string, unknown>>;
  readonly createdMs: number;
  step: number;
  reads: number;
  cancelled: boolean;
  /** Run listings it is still hidden from (models the delay before a dispatched run shows). */
  hiddenFor: number;
  /** This run's statuses when its workflow's `perform` gave them. */
  statuses?: readonly RunStatus[];
  override?: RunStatus;
}

const FINAL: readonly RunStatus[] = ["success", "failure", "cancelled", "skipped"];

/** The fake's Actions state: workflows, runs and their scripted statuses. */
export class FakeActions {
  readonly runs: FakeRun[] = [];
  readonly #workflows: Readonly<Record<string, FakeWorkflow>>;
  readonly #pollsPerStatus: number;
  readonly #hiddenFor: number;
  readonly #now: () => number;
  #nextId = 1_000;
  readonly #numbers = new Map<string, number>();

  constructor(
    workflows: Readonly<Record<string, FakeWorkflow>>,
    pollsPerStatus: number,
    hiddenFor: number,
    now: () => number,
  ) {
    this.#workflows = workflows;
    this.#pollsPerStatus = pollsPerStatus;
    this.#hiddenFor = hiddenFor;
    this.#now = now;
  }

  /** The workflow, when it exists at `ref`. */
  workflow(name: string, ref: string): FakeWorkflow | undefined {
    const w = this.#workflows[name];
    return w && (!w.refs || w.refs.includes(ref)) ? w : undefined;
  }

  /** True when some workflow exists at `ref` (a workflow without `refs` exists at `main`). */
  knownRef(ref: string): boolean {
    return Object.values(this.#workflows).some((w) => (w.refs ?? ["main"]).includes(ref));
  }

  /** The job names of a run's workflow. */
  jobs(run: FakeRun): string[] {
    return [...(this.#workflows[run.workflow]?.jobs ?? ["run"])];
  }

  /** Starts a run of a dispatched workflow. */
  start(repo: string, workflow: string, ref: string, inputs: Record<string, unknown>): FakeRun {
    const runNumber = (this.#numbers.get(repo) ?? 0) + 1;
    this.#numbers.set(repo, runNumber);
    const run: FakeRun = {
      id: this.#nextId++,
      runNumber,
      repo,
      workflow,
      ref,
      inputs,
      createdMs: this.#now(),
      step: 0,
      reads: 0,
      cancelled: false,
      hiddenFor: this.#hiddenFor,
    };
    this.runs.push(run);
    return run;
  }

  /** A run's current status. */
  status(run: FakeRun): RunStatus {
    if (run.override) return run.override;
    if (run.cancelled) return "cancelled";
    const statuses = this.#statuses(run);
    return statuses[Math.min(run.step, statuses.length - 1)] ?? "unknown";
  }

  /** True when the run reached a final status. */
  done(run: FakeRun): boolean {
    return FINAL.includes(this.status(run));
  }

  /** Counts one read of the run, moving it along its script. */
  observe(run: FakeRun): void {
    run.reads++;
    const statuses = this.#statuses(run);
    if (run.reads >= this.#pollsPerStatus && run.step < statuses.length - 1) {
      run.step++;
      run.reads = 0;
    }
  }

  #statuses(run: FakeRun): readonly RunStatus[] {
    return run.statuses ?? this.#workflows[run.workflow]?.statuses ?? ["unknown"];
  }

  /** Cancels a run unless it is done (then a no-op, as in Forgejo). */
  cancel(run: FakeRun): void {
    if (!this.done(run)) run.cancelled = true;
  }
}
