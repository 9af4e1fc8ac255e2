import { randomBytes } from "node:crypto";
import {
  type DriverError,
  driverError,
  type JournalRecord,
  loadRun,
  type RunError,
  type RunEvent,
  type RunReport,
  runPlan,
} from "@backflip/core";
import { actorNameSchema, parseInput } from "@backflip/core/driver-kit";
import {
  DEPLOY_FAILED_ALERT,
  type Decision,
  decide,
  type Facts,
  observe,
  planForIntent,
} from "@backflip/core/recipes";
import { err, errAsync, ok, okAsync, type Result, ResultAsync } from "neverthrow";
import { type DeployFailedAlert, SERVICE } from "./alert-webhook";
import { type OfferedPlan, planForDecision } from "./plan-for-decision";
import { RunFeed, type RunOutcome } from "./run-feed";
import type { ServiceTarget } from "./service-target";

/** Who approved an offer, and the run it started. */
export interface Approval {
  readonly approver: string;
  readonly runId: string;
}

/** What the service offers for one alert: the facts, the decision, the plan (or why none), and its approval once given. */
export interface Offer {
  readonly id: string;
  readonly alert: DeployFailedAlert;
  readonly receivedAt: string;
  readonly facts: Facts;
  readonly decision: Decision;
  readonly offered: OfferedPlan;
  readonly approval?: Approval;
}

/** Past runs read from the journal, newest first, and the ids of any it could not read. */
export interface PastRuns {
  readonly runs: readonly RunReport[];
  readonly unreadable: readonly { readonly runId: string; readonly message: string }[];
}

/** How many past runs the list reads (newest run ids first). */
const PAST_RUNS = 50;

const fail = (op: string, reason: DriverError["reason"], message: string, hint?: string) =>
  driverError({ driver: SERVICE, op, reason, message, ...(hint ? { hint } : {}) });

function outcomeOf(result: Result<RunReport, RunError>): RunOutcome {
  if (result.isOk()) return { ok: true, state: result.value.state, message: "the run succeeded" };
  const e = result.error;
  return {
    ok: false,
    state: e.report?.state ?? e.kind,
    message: e.message,
    ...(e.hint ? { hint: e.hint } : {}),
  };
}

/**
 * The service's one idea: an alert becomes an offer (observe, decide, plan — nothing
 * changes), an approval runs the offered plan under the environment's lease with the
 * approver as its actor, and every run is watched live or read back from the journal.
 */
export class RollbackDesk {
  private readonly offers = new Map<string, Offer>();
  private readonly byAlert = new Map<string, Promise<Result<Offer, DriverError>>>();
  private readonly feeds = new Map<string, RunFeed>();
  private readonly approving = new Set<string>();

  constructor(readonly target: ServiceTarget) {}

  /** The environment the service acts on. */
  get env(): string {
    return this.target.topology.env;
  }

  /**
   * The offer for a firing alert: observes the environment, lets `decide` walk the runbook
   * and plans what it calls for. Alertmanager re-sends a firing alert: the same alert
   * (fingerprint and start) gets the same offer (`created: false`).
   */
  receive(alert: DeployFailedAlert): ResultAsync<{ offer: Offer; created: boolean }, DriverError> {
    const key = `${alert.fingerprint}@${alert.startsAt}`;
    const known = this.byAlert.get(key);
    if (known) return new ResultAsync(known).map((offer) => ({ offer, created: false }));
    const made = this.makeOffer(alert);
    this.byAlert.set(
      key,
      Promise.resolve(made).then((r) => {
        if (r.isErr()) this.byAlert.delete(key); // a failed observation may be retried
        return r;
      }),
    );
    return made.map((offer) => ({ offer, created: true }));
  }

  /** An offer by id. */
  offer(id: string): Offer | undefined {
    return this.offers.get(id);
  }

  /** Every offer, newest first. */
  allOffers(): Offer[] {
    return [...this.offers.values()].reverse();
  }

  /**
   * Runs an offer's plan as `approver`: `invalid_input` for a name that is not one,
   * `not_found` for an unknown offer, `conflict` when there is no plan, it was approved
   * already, or another run holds the lease (naming its holder). The plan is rebuilt from
   * its intent with the approver as actor — the same steps as offered — and runs under the
   * lease; resolves with the run id once the run has started (its lease taken, its start
   * journaled), while the run goes on.
   */
  approve(offerId: string, approver: unknown): ResultAsync<Approval, DriverError> {
    const name = parseInput(actorNameSchema, approver, {
      driver: SERVICE,
      op: "approve",
      hint: "send the approver's name, e.g. alice",
    });
    if (name.isErr()) return errAsync({ ...name.error, message: `approver: ${name.error.message}` });
    const offer = this.offers.get(offerId);
    if (!offer)
      return errAsync(fail("approve", "not_found", `no offer ${offerId}`, "open the page an alert made"));
    if (!offer.offered.plan)
      return errAsync(fail("approve", "conflict", `nothing to run: ${offer.offered.why}`));
    if (offer.approval)
      return errAsync(
        fail(
          "approve",
          "conflict",
          `already approved by ${offer.approval.approver}: run ${offer.approval.runId}`,
        ),
      );
    if (this.approving.has(offerId))
      return errAsync(fail("approve", "conflict", "another approval of this offer is starting its run"));
    const { topology, drivers, journal, lock } = this.target;
    const plan = planForIntent(topology, drivers, { ...offer.offered.plan.intent, actor: name.value });
    if (plan.isErr()) return errAsync(plan.error);
    this.approving.add(offerId);
    const started = new Promise<Result<Approval, DriverError>>((settle) => {
      let feed: RunFeed | undefined;
      runPlan(plan.value, {
        journal,
        lock,
        owner: name.value,
        onEvent: (event) => {
          if (!feed) {
            feed = new RunFeed(event.runId);
            this.feeds.set(event.runId, feed);
            const approval = { approver: name.value, runId: event.runId };
            this.offers.set(offerId, { ...offer, approval });
            this.approving.delete(offerId);
            settle(ok(approval));
          }
          feed.push(event);
        },
      }).then((result) => {
        if (feed) {
          feed.finish(outcomeOf(result));
          // its watchers have the outcome; a later one replays the run from the journal
          this.feeds.delete(feed.runId);
          return;
        }
        this.approving.delete(offerId);
        const e = result.isErr() ? result.error : undefined;
        const reason =
          e?.kind === "lock_held" ? "conflict" : e?.kind === "invalid_input" ? "invalid_input" : "failed";
        settle(err(fail("approve", reason, e?.message ?? "the run did not start", e?.hint)));
      });
    });
    return new ResultAsync(started);
  }

  /**
   * A run's feed for a watcher: the live one while this service runs it (replayed from its
   * start), else the journal's records of a past run followed by its outcome.
   * `invalid_input` for a bad run id, `not_found` for an unknown one.
   */
  watch(runId: string): ResultAsync<RunFeed, DriverError> {
    const live = this.feeds.get(runId);
    if (live) return okAsync(live);
    return this.report(runId).andThen((report) =>
      this.target.journal.read(runId).map((records) => replayed(records, report)),
    );
  }

  /** A run's report from the journal. */
  report(runId: string): ResultAsync<RunReport, DriverError> {
    return loadRun(this.target.journal, runId).mapErr((e) =>
      fail(
        "report",
        e.kind === "not_found" ? "not_found" : e.kind === "invalid_input" ? "invalid_input" : "failed",
        e.kind === "not_found" ? `no run ${runId} in the journal` : e.message,
      ),
    );
  }

  /** The journal's runs, newest first (the newest {@link PAST_RUNS} run ids). */
  pastRuns(): ResultAsync<PastRuns, DriverError> {
    const { journal } = this.target;
    return journal.list().andThen((ids) =>
      ResultAsync.fromSafePromise(
        (async () => {
          const newest = [...ids].sort().reverse().slice(0, PAST_RUNS);
          const loaded = await Promise.all(newest.map((id) => loadRun(journal, id)));
          const runs: RunReport[] = [];
          const unreadable: { runId: string; message: string }[] = [];
          loaded.forEach((r, i) => {
            if (r.isOk()) runs.push(r.value);
            else unreadable.push({ runId: newest[i] ?? "", message: r.error.message });
          });
          runs.sort((a, b) => b.startedAt.localeCompare(a.startedAt) || b.runId.localeCompare(a.runId));
          return { runs, unreadable };
        })(),
      ),
    );
  }

  private makeOffer(alert: DeployFailedAlert): ResultAsync<Offer, DriverError> {
    const { topology, drivers } = this.target;
    const reason = `${DEPLOY_FAILED_ALERT} fired for ${alert.env} at ${alert.startsAt}`;
    return observe(topology, drivers, { probeAttempts: 1 }).andThen((facts) =>
      decide(facts, { symptom: "public-probe-failing", onCall: true, paged: true })
        .asyncAndThen((decision) =>
          planForDecision(this.target, decision, reason).map((offered) => ({ decision, offered })),
        )
        .map(({ decision, offered }) => {
          const offer: Offer = {
            id: randomBytes(6).toString("hex"),
            alert,
            receivedAt: new Date().toISOString(),
            facts,
            decision,
            offered,
          };
          this.offers.set(offer.id, offer);
          return offer;
        }),
    );
  }
}

/** A past run's feed: its journaled events, then the outcome its report says. */
function replayed(records: readonly JournalRecord[], report: RunReport): RunFeed {
  const feed = new RunFeed(report.runId);
  for (const r of records) feed.push(r.event as RunEvent);
  const finished = records.some((r) => r.event.type === "plan.finished");
  feed.finish({
    ok: report.state === "succeeded",
    state: finished ? report.state : `${report.state} (not finished: resume it with the CLI)`,
    message:
      report.error?.message ??
      (report.state === "succeeded" ? "the run succeeded" : `the run is ${report.state}`),
    ...(report.error?.hint ? { hint: report.error.hint } : {}),
  });
  return feed;
}
