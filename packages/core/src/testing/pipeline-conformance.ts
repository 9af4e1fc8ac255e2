import { describe, expect, it } from "vitest";
import { type DispatchRequest, type Pipeline, type PipelineRun, RUN_STATUSES } from "../ports/pipeline";
import { type ConformanceTarget, supports } from "./conformance-target";
import { fixturePerTest } from "./fixture-per-test";

/** What the {@link runPipelineConformance} suite needs besides the driver. */
export interface PipelineFixtures {
  /** A dispatch whose run ends in `success`. */
  readonly succeeds: DispatchRequest;
  /** A dispatch whose run ends in `failure`. */
  readonly fails: DispatchRequest;
  /** A dispatch whose run stays non-final (waiting/running) until cancelled. */
  readonly longRunning: DispatchRequest;
  /** A dispatch naming a workflow file that does not exist at its ref. */
  readonly missing: DispatchRequest;
  /** Poll interval for `follow` (ms); small for fakes. Default 50. */
  readonly pollMs?: number;
  /** Deadline for runs that do finish (ms). Default 20 000. */
  readonly deadlineMs?: number;
}

/**
 * A `Pipeline` capability a backend may lack (an older server). A target lists the ones it
 * lacks in `unsupported`; the suite then checks that they answer `unsupported` (with the
 * manual fallback in the hint) instead of exercising them; without `cancel`, cancelling a
 * finished run must still be a no-op. Without `dispatch` no test can start a run, so only
 * lookups and input checks run.
 */
export type PipelineCapability = "dispatch" | "cancel";

/**
 * The `Pipeline` contract, as vitest tests. Semantics every driver must keep: `dispatch`
 * returns the run (its API id); `follow` resolves with the run once it is final — a
 * `failure` is a value, not an error — and reports each status change; past its deadline
 * `follow` fails with `timeout`, and with `aborted` when its signal fires; `cancel` ends a
 * running run as `cancelled` and is a no-op on a finished one; an unknown run or workflow
 * is `not_found`; bad input is `invalid_input`.
 */
export function runPipelineConformance(
  target: ConformanceTarget<Pipeline, PipelineFixtures, PipelineCapability>,
): void {
  describe.skipIf(target.skip)(`Pipeline conformance: ${target.name}`, () => {
    const ctx = fixturePerTest(target);
    const canDispatch = supports(target, "dispatch");
    const canCancel = supports(target, "cancel");
    const withRuns = it.skipIf(!canDispatch);

    const pollMs = () => ctx().fixtures.pollMs ?? 50;
    const deadlineMs = () => ctx().fixtures.deadlineMs ?? 20_000;
    /** Cancels, or checks that cancel is `unsupported` when the backend lacks it. */
    const cancelOrUnsupported = async (id: number) => {
      const cancelled = await ctx().port.cancel(id);
      if (canCancel) cancelled._unsafeUnwrap();
      else {
        const error = cancelled._unsafeUnwrapErr();
        expect(error.reason).toBe("unsupported");
        expect(error.hint).toBeTruthy();
      }
    };

    it.skipIf(canDispatch)("dispatch is unsupported, with a manual fallback in the hint", async () => {
      const error = (await ctx().port.dispatch(ctx().fixtures.succeeds))._unsafeUnwrapErr();
      expect(error.reason).toBe("unsupported");
      expect(error.hint).toBeTruthy();
    });

    withRuns("dispatches a workflow and follows it to success, reporting status changes", async () => {
      const run = (await ctx().port.dispatch(ctx().fixtures.succeeds))._unsafeUnwrap();
      expect(Number.isInteger(run.id) && run.id > 0).toBe(true);
      expect(RUN_STATUSES).toContain(run.status);
      const seen: PipelineRun[] = [];
      const final = (
        await ctx().port.follow(run.id, {
          deadlineMs: deadlineMs(),
          pollMs: pollMs(),
          onStatus: (r) => seen.push(r),
        })
      )._unsafeUnwrap();
      expect(final.id).toBe(run.id);
      expect(final.status).toBe("success");
      expect(seen.at(-1)?.status).toBe("success");
      for (let i = 1; i < seen.length; i++) expect(seen[i]?.status).not.toBe(seen[i - 1]?.status);
      expect((await ctx().port.getRun(run.id))._unsafeUnwrap().status).toBe("success");
    });

    withRuns("follows a failing workflow to failure as a value, not an error", async () => {
      const run = (await ctx().port.dispatch(ctx().fixtures.fails))._unsafeUnwrap();
      const final = await ctx().port.follow(run.id, { deadlineMs: deadlineMs(), pollMs: pollMs() });
      expect(final._unsafeUnwrap().status).toBe("failure");
    });

    withRuns("times out following a run that does not finish, then cancels it", async () => {
      const run = (await ctx().port.dispatch(ctx().fixtures.longRunning))._unsafeUnwrap();
      const late = await ctx().port.follow(run.id, { deadlineMs: pollMs() * 4, pollMs: pollMs() });
      expect(late._unsafeUnwrapErr().reason).toBe("timeout");
      await cancelOrUnsupported(run.id);
      if (!canCancel) return;
      const final = await ctx().port.follow(run.id, { deadlineMs: deadlineMs(), pollMs: pollMs() });
      expect(final._unsafeUnwrap().status).toBe("cancelled");
      (await ctx().port.cancel(run.id))._unsafeUnwrap();
      expect((await ctx().port.getRun(run.id))._unsafeUnwrap().status).toBe("cancelled");
    });

    withRuns("cancelling a finished run is a no-op (even without a cancel endpoint)", async () => {
      const run = (await ctx().port.dispatch(ctx().fixtures.succeeds))._unsafeUnwrap();
      (await ctx().port.follow(run.id, { deadlineMs: deadlineMs(), pollMs: pollMs() }))._unsafeUnwrap();
      (await ctx().port.cancel(run.id))._unsafeUnwrap();
      expect((await ctx().port.getRun(run.id))._unsafeUnwrap().status).toBe("success");
    });

    withRuns("stops following with aborted when the signal fires", async () => {
      const run = (await ctx().port.dispatch(ctx().fixtures.longRunning))._unsafeUnwrap();
      const controller = new AbortController();
      const following = ctx().port.follow(run.id, {
        deadlineMs: deadlineMs(),
        pollMs: pollMs(),
        signal: controller.signal,
      });
      const timer = setTimeout(() => controller.abort(), pollMs() * 3);
      expect((await following)._unsafeUnwrapErr().reason).toBe("aborted");
      clearTimeout(timer);
      await cancelOrUnsupported(run.id);
    });

    it("an unknown run and an unknown workflow are not_found", async () => {
      expect((await ctx().port.getRun(2_000_000_000))._unsafeUnwrapErr().reason).toBe("not_found");
      if (canDispatch) {
        expect((await ctx().port.dispatch(ctx().fixtures.missing))._unsafeUnwrapErr().reason).toBe(
          "not_found",
        );
      }
    });

    it("rejects bad input with invalid_input", async () => {
      const good = ctx().fixtures.succeeds;
      const bad: DispatchRequest[] = [
        { ...good, workflow: "../escape.yml" },
        { ...good, workflow: "" },
        { ...good, ref: "" },
        { ...good, inputs: { mode: 3 as unknown as string } },
      ];
      for (const request of bad) {
        expect((await ctx().port.dispatch(request))._unsafeUnwrapErr().reason).toBe("invalid_input");
      }
      expect((await ctx().port.getRun(-1))._unsafeUnwrapErr().reason).toBe("invalid_input");
      expect((await ctx().port.getRun(1.5))._unsafeUnwrapErr().reason).toBe("invalid_input");
      expect((await ctx().port.cancel(0))._unsafeUnwrapErr().reason).toBe("invalid_input");
      const follow = await ctx().port.follow(-1, { deadlineMs: deadlineMs() });
      expect(follow._unsafeUnwrapErr().reason).toBe("invalid_input");
    });
  });
}
