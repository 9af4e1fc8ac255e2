import type { DriverError, HealthProbe, ProbeRequest, ProbeResult } from "@backflip/core";
import { parseInput, probeRequestSchema } from "@backflip/core/driver-kit";
import { err, ok, type ResultAsync } from "neverthrow";
import { answerHealth, type HttpAnswer } from "../world/world-actions";
import type { WorldState } from "../world/world-state";
import { type FleetRuntime, opError, operation } from "./operation";

const BODY_KEPT = 4096;

/** A URL safe to print: no credentials, the query and fragment elided. */
function displayUrl(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}${url.search !== "" || url.hash !== "" ? "?…" : ""}`;
}

function quoteBody(body: string): string {
  const text = body.trim();
  if (text === "") return "(empty)";
  return JSON.stringify(text.length > 200 ? `${text.slice(0, 200)}…` : text);
}

/**
 * The simulated health probe. The topology's public URL answers from the world (200
 * when the color the proxy routes to has all its containers running, healthy and
 * carrying a release, else 503; refused when the proxy is down), and
 * `http://<container>.fleet<healthPath>` answers from that container. Attempts are
 * spaced by `intervalMs` on the fleet clock, not in real time, and the deadline is
 * measured on it too. Any other URL goes to the `fallback` probe when one is given,
 * else it is refused as unresolvable.
 */
export class MockHealthProbe implements HealthProbe {
  /** What dry runs call it (errors name the driver, `mock-probe`). */
  readonly name = "simulated probe";

  /** A probe over the world; `fallback` answers URLs outside the fleet. */
  constructor(
    readonly world: WorldState,
    readonly runtime: FleetRuntime,
    readonly fallback?: HealthProbe,
  ) {}

  #isFleetUrl(url: URL): boolean {
    const publicUrl = new URL(this.world.layout.publicHealthUrl);
    return (
      (url.host === publicUrl.host && url.protocol === publicUrl.protocol) || url.hostname.endsWith(".fleet")
    );
  }

  check(request: ProbeRequest): ResultAsync<ProbeResult, DriverError> {
    const signal = request?.signal instanceof AbortSignal ? request.signal : undefined;
    return operation(
      this.runtime,
      { op: "probe.check", target: (r: { url: string }) => r.url, ...(signal ? { signal } : {}) },
      () => parseInput(probeRequestSchema, request, { driver: "mock-probe", op: "check" }),
      (r) => {
        const url = new URL(r.url);
        if (!this.#isFleetUrl(url) && this.fallback) return this.fallback.check(request);
        return this.#check({ ...r, url });
      },
    );
  }

  async #check(r: Omit<ProbeRequest, "url"> & { url: URL }) {
    const attempts = r.attempts ?? 3;
    const interval = r.intervalMs ?? 200;
    const deadline = r.deadlineMs ?? 10_000;
    const expected = r.expectStatus === undefined ? "2xx" : String(r.expectStatus);
    const shown = displayUrl(r.url);
    const started = this.runtime.clock.epochMs();
    const elapsed = () => this.runtime.clock.epochMs() - started;
    const aborted = (made: number) =>
      err(
        opError("probe.check", "aborted", `health check of ${shown} was aborted after ${made} attempt(s)`, {
          details: { url: shown, attempts: made },
        }),
      );
    let last: HttpAnswer = { refused: "no attempt was made" };
    let why = "";
    let made = 0;
    while (made < attempts) {
      if (r.signal?.aborted) return aborted(made);
      made++;
      last = answerHealth(this.world, r.url);
      if ("refused" in last) why = last.refused;
      else {
        const statusOk =
          r.expectStatus === undefined
            ? last.status >= 200 && last.status < 300
            : last.status === r.expectStatus;
        if (!statusOk) why = `HTTP ${last.status} (expected ${expected}), body ${quoteBody(last.body)}`;
        else if (r.bodyIncludes !== undefined && !last.body.includes(r.bodyIncludes))
          why = `HTTP ${last.status} but the body lacks ${JSON.stringify(r.bodyIncludes)}, body ${quoteBody(last.body)}`;
        else
          return ok({
            url: r.url.href,
            status: last.status,
            attempts: made,
            durationMs: elapsed(),
            body: last.body.slice(0, BODY_KEPT),
          });
      }
      if (made === attempts) break;
      if (elapsed() + interval >= deadline) {
        return err(
          this.#gaveUp(shown, made, elapsed(), `the ${deadline} ms deadline passed`, why, last, "timeout"),
        );
      }
      this.runtime.clock.advance(interval);
      await new Promise((resolve) => setImmediate(resolve));
    }
    return err(this.#gaveUp(shown, made, elapsed(), "no attempt passed", why, last, "failed"));
  }

  #gaveUp(
    url: string,
    attempts: number,
    durationMs: number,
    why: string,
    last: string,
    answer: HttpAnswer,
    reason: "failed" | "timeout",
  ): DriverError {
    return opError(
      "probe.check",
      reason,
      `health check of ${url} failed after ${attempts} attempt(s) in ${durationMs} ms (${why}); last: ${last}`,
      {
        hint: "the endpoint is not healthy: check the service and its logs before sending traffic to it",
        details: {
          url,
          attempts,
          durationMs,
          ...("refused" in answer ? { error: answer.refused } : { status: answer.status }),
        },
      },
    );
  }
}
