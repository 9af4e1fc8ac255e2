/**
 * Collects one output stream up to `max` bytes and drops the rest while still reading,
 * so a chatty child never blocks on a full pipe.
 */
export class CappedOutput {
  readonly #max: number;
  readonly #chunks: Uint8Array[] = [];
  #size = 0;
  #truncated = false;

  /** Keeps at most `max` bytes. */
  constructor(max: number) {
    this.#max = max;
  }

  /** True once a byte was dropped. */
  get truncated(): boolean {
    return this.#truncated;
  }

  /** Adds a chunk (a `Buffer` is one), keeping only what fits. */
  push(chunk: Uint8Array): void {
    const room = this.#max - this.#size;
    if (chunk.length > room) this.#truncated = true;
    const kept = chunk.length > room ? chunk.subarray(0, room) : chunk;
    if (kept.length === 0) return;
    this.#chunks.push(kept);
    this.#size += kept.length;
  }

  /** The kept bytes as UTF-8; when cut, a character split by the cut is dropped whole. */
  text(): string {
    const bytes = Buffer.concat(this.#chunks, this.#size);
    return (this.#truncated ? wholeCharacters(bytes) : bytes).toString("utf8");
  }
}

/** Drops a trailing UTF-8 sequence that the cap cut in the middle. */
function wholeCharacters(bytes: Buffer): Buffer {
  let start = bytes.length - 1;
  while (start >= 0 && bytes.length - start < 4 && ((bytes[start] ?? 0) & 0xc0) === 0x80) start--;
  if (start < 0) return bytes;
  const lead = bytes[start] ?? 0;
  const length = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
  return bytes.length - start < length ? bytes.subarray(0, start) : bytes;
}
