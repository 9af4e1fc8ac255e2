/**
 * Timings of the irreducible operations under a flip, one array per operation, measured
 * interleaved with the flips. `floorMs` sums the operations' medians, in the order a flip
 * must do them; a noisy machine moves the flips and their floor alike, so
 * `p50 / floorMs` stays meaningful where absolute figures do not.
 */
export class FloorSamples<Op extends string> {
  readonly #ops: readonly Op[];
  readonly #samples = new Map<Op, number[]>();

  /** Samples of `ops`; `floorMs` sums them in this order. */
  constructor(ops: readonly Op[]) {
    this.#ops = ops;
  }

  /** Runs `fn` and records its wall time under `op`. */
  async time<T>(op: Op, fn: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    const value = await fn();
    this.#samples.set(op, [...(this.#samples.get(op) ?? []), performance.now() - t0]);
    return value;
  }

  /** The median of one operation (NaN with no sample). */
  median(op: Op): number {
    const sorted = [...(this.#samples.get(op) ?? [])].sort((a, b) => a - b);
    return sorted[Math.floor((sorted.length - 1) / 2)] ?? Number.NaN;
  }

  /** The sum of the operations' medians. */
  floorMs(): number {
    return this.#ops.reduce((sum, op) => sum + this.median(op), 0);
  }

  /** `op p50 <n>, …` for every operation, then the floor. */
  describe(): string {
    const parts = this.#ops.map((op) => `${op} ${this.median(op).toFixed(1)}`);
    return `${parts.join(" + ")} = floor ${this.floorMs().toFixed(1)} ms (medians, ${this.#samples.get(this.#ops[0] as Op)?.length ?? 0} samples each)`;
  }
}
