import { describe, expect, it } from "vitest";
import { monotonicNow, ServerClock } from "../src/server-clock";

describe("ServerClock", () => {
  it("knows nothing before a Date header, and ignores one it cannot parse", () => {
    const clock = new ServerClock();
    expect(clock.now()).toBeUndefined();
    clock.observe("not a date", 0, 1);
    clock.observe(undefined, 0, 1);
    expect(clock.now()).toBeUndefined();
  });

  it("never runs ahead of the server, and follows the largest lower bound (not the local wall clock)", () => {
    const clock = new ServerClock();
    const at = monotonicNow() - 10;
    // The server said 12:00:00 (so it was 12:00:00.000–.999) when the response arrived.
    clock.observe("Mon, 07 Dec 2026 12:00:00 GMT", at - 5, at);
    const first = clock.now()!;
    expect(first).toBeGreaterThanOrEqual(Date.parse("2026-12-07T12:00:00Z"));
    expect(first).toBeLessThan(Date.parse("2026-12-07T12:00:01Z"));
    // A later response still in the same second tightens nothing; one in the next second moves it up.
    clock.observe("Mon, 07 Dec 2026 12:00:00 GMT", at, at + 1);
    expect(clock.now()! - first).toBeLessThan(1000);
    clock.observe("Mon, 07 Dec 2026 12:00:01 GMT", at + 1, at + 2);
    expect(clock.now()!).toBeGreaterThanOrEqual(Date.parse("2026-12-07T12:00:01Z"));
  });

  it("starts over when the server's clock was set back", () => {
    const clock = new ServerClock();
    const at = monotonicNow();
    clock.observe("Mon, 07 Dec 2026 12:00:00 GMT", at, at);
    clock.observe("Mon, 07 Dec 2026 11:00:00 GMT", at, at);
    expect(clock.now()!).toBeLessThan(Date.parse("2026-12-07T11:00:01Z"));
  });
});
