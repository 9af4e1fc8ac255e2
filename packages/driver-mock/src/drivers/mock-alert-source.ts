import type { AlertQuery, AlertSource, DriverError } from "@backflip/core";
import { lazySchema, parseInput } from "@backflip/core/driver-kit";
import { DEPLOY_FAILED_ALERT } from "@backflip/core/recipes";
import { err, ok, type ResultAsync } from "neverthrow";
import * as z from "zod";
import type { WorldState } from "../world/world-state";
import { abortedError, type FleetRuntime, opError, operation, realWait } from "./operation";

const DRIVER = "mock-alerts";

const querySchema = lazySchema(() =>
  z.object({
    name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "expected an alert name"),
    labels: z.record(z.string(), z.string()).optional(),
  }),
);
const waitSchema = lazySchema(() =>
  z.object({
    deadlineMs: z.number().int().positive(),
    pollMs: z.number().int().positive().optional(),
    signal: z.instanceof(AbortSignal).optional(),
  }),
);

/**
 * The simulated alert source. `VezaDeployFailed` fires while the world's last deploy
 * failure is newer than its last success (labels: only `env` = the topology's env
 * matches); other alerts fire when the world says so. Waiting polls on the fleet clock.
 */
export class MockAlertSource implements AlertSource {
  readonly name = DRIVER;

  constructor(
    readonly world: WorldState,
    readonly runtime: FleetRuntime,
  ) {}

  /** Whether a query's alert fires now. */
  #firing(query: AlertQuery): boolean {
    const labels = query.labels ?? {};
    if (query.name === DEPLOY_FAILED_ALERT) {
      const matches = Object.entries(labels).every(([k, v]) => k === "env" && v === this.world.topology.env);
      const failure = this.world.lastDeployFailureAt;
      const success = this.world.lastDeploySuccessAt;
      return matches && failure !== null && (success === null || failure > success);
    }
    return this.world.firingAlerts.has(query.name);
  }

  isFiring(query: AlertQuery): ResultAsync<boolean, DriverError> {
    return operation(
      this.runtime,
      { op: "alerts.isFiring", target: (q: AlertQuery) => q.name },
      () => parseInput(querySchema, query, { driver: DRIVER, op: "isFiring" }),
      (q) => ok(this.#firing(q)),
    );
  }

  waitUntilCleared(
    query: AlertQuery,
    options: { deadlineMs: number; pollMs?: number; signal?: AbortSignal },
  ): ResultAsync<void, DriverError> {
    return operation(
      this.runtime,
      {
        op: "alerts.waitUntilCleared",
        target: (q: AlertQuery) => q.name,
        ...(options?.signal ? { signal: options.signal } : {}),
      },
      () =>
        parseInput(querySchema, query, { driver: DRIVER, op: "waitUntilCleared" }).andThen((q) =>
          parseInput(waitSchema, options, { driver: DRIVER, op: "waitUntilCleared" }).map(() => q),
        ),
      async (q) => {
        const pollMs = options.pollMs ?? 15_000;
        const started = this.runtime.clock.epochMs();
        for (;;) {
          if (options.signal?.aborted) return err(abortedError("alerts.waitUntilCleared"));
          if (!this.#firing(q)) return ok(undefined);
          if (this.runtime.clock.epochMs() - started + pollMs > options.deadlineMs) {
            return err(
              opError(
                "alerts.waitUntilCleared",
                "timeout",
                `${q.name} still fires after ${options.deadlineMs} ms`,
                {
                  hint: "the next successful deploy resets it (last success > last failure)",
                },
              ),
            );
          }
          this.runtime.clock.advance(pollMs);
          if (!(await realWait(1, options.signal))) return err(abortedError("alerts.waitUntilCleared"));
        }
      },
    );
  }
}
