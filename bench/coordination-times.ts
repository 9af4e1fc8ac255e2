import { performance } from "node:perf_hooks";
import type { Journal, LeaseLock } from "@backflip/core";
import { ResultAsync } from "neverthrow";

/** A run's journal and lease lock, as a bench passes them to `runPlan`. */
export interface Coordination {
  readonly journal: Journal;
  readonly lock: LeaseLock;
}

const median = (values: readonly number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)] ?? Number.NaN;

/**
 * Wall times of the lease lock's and the journal's calls made through {@link wrap}: what a
 * run spends outside its steps in the runner's coordination (the lock's acquire and
 * release, the journal's synced and unsynced appends), per call and per run.
 */
export class CoordinationTimes {
  readonly #samples = new Map<string, number[]>();

  /** `c` with every `acquire`, `release` and `append` timed (anything else passes through). */
  wrap(c: Coordination): Coordination {
    return {
      lock: this.#timed(c.lock, (method) => (method === "acquire" || method === "release" ? method : null)),
      journal: this.#timed(c.journal, (method, args) =>
        method === "append"
          ? (args[2] as { sync?: boolean } | undefined)?.sync === false
            ? "append"
            : "append+fsync"
          : null,
      ),
    };
  }

  /** `calls+fsync p50 …` per kind, with how many a run makes (`runs`: the runs timed). */
  describe(runs: number): string {
    return [...this.#samples]
      .map(([kind, ms]) => `${kind} ${(ms.length / runs).toFixed(0)} × ${median(ms).toFixed(1)} ms`)
      .join(", ");
  }

  /** The sum over a run of each kind's calls, from the medians (ms). */
  perRunMs(runs: number): number {
    return [...this.#samples.values()].reduce((sum, ms) => sum + (ms.length / runs) * median(ms), 0);
  }

  #timed<T extends object>(target: T, kindOf: (method: string, args: unknown[]) => string | null): T {
    const samples = this.#samples;
    return new Proxy(target, {
      get(t, key) {
        const value = Reflect.get(t, key, t);
        if (typeof value !== "function" || typeof key !== "string") return value;
        return (...args: unknown[]) => {
          const kind = kindOf(key, args);
          // Before the call: the file lock does its work synchronously, inside it.
          const t0 = performance.now();
          const result = value.apply(t, args);
          if (kind === null) return result;
          return new ResultAsync(
            Promise.resolve(result as ResultAsync<unknown, unknown>).then((r) => {
              samples.set(kind, [...(samples.get(kind) ?? []), performance.now() - t0]);
              return r;
            }),
          );
        };
      },
    });
  }
}
