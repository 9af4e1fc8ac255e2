import type { z } from "zod";
import { fromDriverError } from "../errors/step-error";
import { defineStep, type Step } from "../plan/step";
import type { HealthProbe, ProbeResult } from "../ports/health-probe";
import type { Topology } from "../topology/topology";
import { definedFields } from "./defined-fields";
import { note } from "./port-actions";
import type { probeOptionsSchema } from "./recipe-input";

/** The step id of {@link publicProbeStep}. */
export const PUBLIC_PROBE_STEP_ID = "public-probe";

/** How the public probe retries (checked by `probeOptionsSchema`). */
export type ProbeOptions = z.output<typeof probeOptionsSchema>;

/**
 * Verifies the switch from outside: `curl https://staging.veza.fr/api/v1/health`, with
 * retries and a deadline. When it fails the runner reverts the completed changes: the
 * runbook's "public probe with automatic revert".
 */
export function publicProbeStep(
  probe: HealthProbe,
  url: string,
  options: ProbeOptions = {},
): Step<ProbeResult> {
  const attempts = options.attempts ?? 5;
  const deadlineMs = options.deadlineMs ?? 30_000;
  return defineStep({
    id: PUBLIC_PROBE_STEP_ID,
    title: `Verify externally: ${url} answers healthy`,
    kind: "verify",
    idempotent: true,
    timeoutMs: deadlineMs + 5_000,
    describe: () => [
      { kind: "http", method: "GET", url },
      note(`${probe.name}: healthy within ${attempts} attempts and ${deadlineMs} ms`),
    ],
    run: (ctx) =>
      probe
        .check({
          url,
          attempts,
          deadlineMs,
          intervalMs: options.intervalMs ?? 500,
          ...definedFields({ attemptTimeoutMs: options.attemptTimeoutMs }),
          signal: ctx.signal,
        })
        .mapErr((e) =>
          fromDriverError(
            PUBLIC_PROBE_STEP_ID,
            e,
            "the public probe failed after the switch: the run reverts to the previous color; read the bad color's logs",
          ),
        ),
  });
}

/** {@link publicProbeStep} as a list: empty when the topology has no `publicHealthUrl`. */
export function publicProbeSteps(
  probe: HealthProbe,
  topology: Topology,
  options: ProbeOptions = {},
): Step<ProbeResult>[] {
  return topology.publicHealthUrl ? [publicProbeStep(probe, topology.publicHealthUrl, options)] : [];
}
