import { errAsync, okAsync } from "neverthrow";
import { describe, expect, it, vi } from "vitest";
import { driverErrorFor } from "../src/driver-kit/driver-error-for";
import { poll } from "../src/driver-kit/poll";
import type { DriverError } from "../src/errors/driver-error";

const fail = driverErrorFor("test");

/** A read answering `answers` in turn, then the last one forever; counts its calls. */
function reads(...answers: (number | DriverError)[]) {
  const state = { calls: 0 };
  const read = () => {
    const answer = answers[Math.min(state.calls++, answers.length - 1)] as number | DriverError;
    return typeof answer === "number" ? okAsync(answer) : errAsync(answer);
  };
  return { read, state };
}

describe("poll", () => {
  it("reads until done and returns that value", async () => {
    const { read, state } = reads(1, 2, 3, 4);
    const value = await poll({ read, done: (v) => v >= 3, timeoutMs: 5000, backoff: () => 0 });
    expect(value._unsafeUnwrap()).toBe(3);
    expect(state.calls).toBe(3);
  });

  it("retries errors retryOn accepts; any other error ends the wait with it", async () => {
    const gone = fail("read", "unavailable", "gone");
    const retried = reads(gone, gone, 7);
    const ok = await poll({
      read: retried.read,
      done: () => true,
      timeoutMs: 5000,
      backoff: () => 0,
      retryOn: (e) => e.reason === "unavailable",
    });
    expect(ok._unsafeUnwrap()).toBe(7);
    const denied = fail("read", "unauthorized", "denied");
    const stopped = reads(denied, 7);
    const error = await poll({ read: stopped.read, done: () => true, timeoutMs: 5000, backoff: () => 0 });
    expect(error._unsafeUnwrapErr()).toEqual({ kind: "error", error: denied });
    expect(stopped.state.calls).toBe(1);
  });

  it("at the deadline reports the last value (or retried error) and how many reads it made", async () => {
    const { read } = reads(1);
    const failure = (await poll({ read, done: (v) => v > 1, deadlineMs: Date.now() - 1 }))._unsafeUnwrapErr();
    expect(failure).toMatchObject({ kind: "timeout", attempts: 1, last: { value: 1 } });
    const gone = fail("read", "unavailable", "gone");
    const errs = reads(gone);
    const last = (
      await poll({ read: errs.read, done: () => true, timeoutMs: 400, backoff: () => 1, retryOn: () => true })
    )._unsafeUnwrapErr();
    expect(last).toMatchObject({ kind: "timeout", last: { error: gone } });
    expect(errs.state.calls).toBeGreaterThan(1);
  });

  it("passes the attempt number to the backoff", async () => {
    const { read } = reads(1, 2, 3);
    const attempts: number[] = [];
    const backoff = (n: number) => {
      attempts.push(n);
      return 0;
    };
    await poll({ read, done: (v) => v === 3, timeoutMs: 5000, backoff });
    expect(attempts).toEqual([1, 2]);
  });

  it("an aborted signal stops the wait as aborted, also while it sleeps", async () => {
    const { read, state } = reads(1);
    const before = new AbortController();
    before.abort();
    expect(
      (await poll({ read, done: () => false, timeoutMs: 5000, signal: before.signal }))._unsafeUnwrapErr(),
    ).toEqual({ kind: "aborted", attempts: 0 });
    expect(state.calls).toBe(0);
    const during = new AbortController();
    const waiting = poll({
      read,
      done: () => false,
      timeoutMs: 60_000,
      backoff: () => 60_000,
      signal: during.signal,
    });
    setTimeout(() => during.abort(), 10);
    expect((await waiting)._unsafeUnwrapErr()).toEqual({ kind: "aborted", attempts: 1 });
  });

  it("gives up after maxAttempts reads as exhausted, with the last value or error", async () => {
    const { read, state } = reads(1, 2, 3);
    const failure = (
      await poll({ read, done: (v) => v === 3, timeoutMs: 60_000, backoff: () => 0, maxAttempts: 2 })
    )._unsafeUnwrapErr();
    expect(failure).toMatchObject({ kind: "exhausted", attempts: 2, last: { value: 2 } });
    expect(state.calls).toBe(2);
    const gone = fail("read", "unavailable", "gone");
    const errs = reads(gone);
    const last = (
      await poll({
        read: errs.read,
        done: () => true,
        timeoutMs: 60_000,
        backoff: () => 0,
        maxAttempts: 1,
        retryOn: () => true,
      })
    )._unsafeUnwrapErr();
    expect(last).toEqual({
      kind: "exhausted",
      elapsedMs: expect.any(Number),
      attempts: 1,
      last: { error: gone },
    });
  });

  it("tells each read its attempt number and the time left before the deadline", async () => {
    const seen: { attempt: number; remainingMs: number }[] = [];
    const deadlineMs = Date.now() + 60_000;
    await poll({
      read: (a) => {
        seen.push(a);
        return okAsync(a.attempt);
      },
      done: (v) => v === 2,
      deadlineMs,
      backoff: () => 0,
    });
    expect(seen.map((a) => a.attempt)).toEqual([1, 2]);
    for (const a of seen) {
      expect(a.remainingMs).toBeGreaterThan(0);
      expect(a.remainingMs).toBeLessThanOrEqual(60_000);
    }
    const late = (
      await poll({ read: (a) => okAsync(a.remainingMs), done: () => false, deadlineMs: Date.now() - 5 })
    )._unsafeUnwrapErr();
    expect(late).toMatchObject({ kind: "timeout", attempts: 1 });
    expect(
      late.kind === "timeout" && late.last !== null && "value" in late.last && late.last.value,
    ).toBeLessThan(0);
  });

  it("reads once more after a pause that ends at the deadline, unless readAtDeadline is false", async () => {
    // A deadline far beyond the first read (which answers at once), even on a loaded machine:
    // with 20 ms, a first read that only resumed after the deadline ended the wait there.
    const timeoutMs = 400;
    const again = reads(1);
    const looked = (
      await poll({ read: again.read, done: () => false, timeoutMs, backoff: () => 60_000 })
    )._unsafeUnwrapErr();
    expect(looked).toMatchObject({ kind: "timeout", attempts: 2 });
    expect(again.state.calls).toBe(2);
    const stop = reads(1);
    const stopped = (
      await poll({
        read: stop.read,
        done: () => false,
        timeoutMs,
        backoff: () => 60_000,
        readAtDeadline: false,
      })
    )._unsafeUnwrapErr();
    expect(stopped).toMatchObject({ kind: "timeout", attempts: 1, last: { value: 1 } });
    expect(stop.state.calls).toBe(1);
  });

  it("ends after the read a pause cut at the deadline allows, even when its timer fires before the clock reaches the deadline", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
    try {
      const again = reads(1);
      const result = poll({ read: again.read, done: () => false, timeoutMs: 400, backoff: () => 60_000 });
      await vi.advanceTimersByTimeAsync(0);
      // The wall clock lags the timers by 1 ms (a timer may fire that early on a busy loop).
      vi.setSystemTime(Date.now() - 1);
      await vi.advanceTimersByTimeAsync(500);
      expect((await result)._unsafeUnwrapErr()).toMatchObject({ kind: "timeout", attempts: 2 });
      expect(again.state.calls).toBe(2);
    } finally {
      vi.useRealTimers();
    }
  });
});
