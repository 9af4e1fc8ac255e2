import { type FileHandle, open } from "node:fs/promises";

/** How many slots the ring has: a chunk's bytes stay untouched for this many reads minus one. */
export const RING_SLOTS = 4;

/**
 * Reads a file front to back into a fixed ring of {@link RING_SLOTS} reused slots, so a
 * long upload allocates nothing per chunk (a fresh 1 MiB buffer per chunk costs a major GC
 * every few dozen MiB, about as much CPU as the send itself). A chunk returned by
 * {@link read} is overwritten {@link RING_SLOTS} reads later, so its consumer must be done
 * with it by then. An HTTP body consumer that honours backpressure is: `Readable.from`
 * buffers one chunk ahead, and undici pauses it while the socket still holds a written
 * chunk (each chunk exceeds the socket's high-water mark), so at most two are in flight.
 */
export class FileRingReader {
  /** The memory behind every slot (a `SharedArrayBuffer` when asked for one). */
  readonly buffer: ArrayBufferLike;
  readonly #handle: FileHandle;
  readonly #slab: Buffer;
  readonly #slotSize: number;
  #reads = 0;

  private constructor(handle: FileHandle, slab: Buffer, slotSize: number) {
    this.#handle = handle;
    this.#slab = slab;
    this.#slotSize = slotSize;
    this.buffer = slab.buffer;
  }

  /** Opens `path` with slots of `slotSize` bytes, in shared memory when `shared`. */
  static async open(path: string, slotSize: number, shared: boolean): Promise<FileRingReader> {
    const handle = await open(path, "r");
    const bytes = RING_SLOTS * slotSize;
    const slab = shared ? Buffer.from(new SharedArrayBuffer(bytes)) : Buffer.allocUnsafeSlow(bytes);
    return new FileRingReader(handle, slab, slotSize);
  }

  /** How many chunks were read so far. */
  get reads(): number {
    return this.#reads;
  }

  /** The next chunk of the file (at most one slot), or `null` at its end. */
  async read(): Promise<Uint8Array | null> {
    const start = (this.#reads % RING_SLOTS) * this.#slotSize;
    const { bytesRead } = await this.#handle.read(this.#slab, start, this.#slotSize, null);
    if (bytesRead === 0) return null;
    this.#reads += 1;
    return this.#slab.subarray(start, start + bytesRead);
  }

  /** Closes the file (the slots stay valid for whoever still holds a chunk). */
  async close(): Promise<void> {
    await this.#handle.close();
  }
}
