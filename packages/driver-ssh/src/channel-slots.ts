/** A counting semaphore: at most `size` commands hold a channel at once, the rest wait in order. */
export class ChannelSlots {
  readonly #size: number;
  #used = 0;
  readonly #waiting: Array<() => void> = [];

  /** Allows `size` holders at once. */
  constructor(size: number) {
    this.#size = size;
  }

  /** Waits for a free slot; call the returned function exactly once to give it back. */
  async take(): Promise<() => void> {
    if (this.#used < this.#size) this.#used += 1;
    else await new Promise<void>((resolve) => this.#waiting.push(resolve));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#waiting.shift();
      if (next === undefined) this.#used -= 1;
      else next();
    };
  }
}
