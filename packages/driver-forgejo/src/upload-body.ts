import { createHash, type Hash } from "node:crypto";
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import type { ArtifactSource } from "@backflip/core";

const CHUNK = 1 << 20;

/** What one upload attempt sent, as far as it got. */
export interface AttemptProgress {
  /** Bytes pulled from the source (and hashed). */
  readonly bytes: number;
  /** The whole source was read. */
  readonly complete: boolean;
  /** The source itself failed (not the network). */
  readonly sourceError: unknown;
}

/**
 * An upload's body: streamed from a file or an AsyncIterable, never held whole, with the
 * sha256 computed on the way. A file can be replayed for a retry; a stream only when no
 * byte of it was pulled yet.
 */
export class UploadBody {
  /** Bytes in the source when known up front (a file's size, or a declared stream size). */
  readonly size: number | undefined;
  readonly #source: ArtifactSource;
  #iterator: AsyncIterator<Uint8Array> | undefined;
  #chain: Promise<unknown> = Promise.resolve();
  #hash: Hash = createHash("sha256");
  #bytes = 0;
  #complete = false;
  #sourceError: unknown;

  private constructor(source: ArtifactSource, size: number | undefined) {
    this.#source = source;
    this.size = size;
  }

  /** Opens a source; a file that cannot be read is reported before any request. */
  static async open(source: ArtifactSource): Promise<UploadBody> {
    if ("path" in source) {
      const info = await stat(source.path);
      if (!info.isFile()) throw new Error(`${source.path} is not a regular file`);
      return new UploadBody(source, info.size);
    }
    return new UploadBody(source, source.size);
  }

  /** True for a file source (which can always be read again). */
  get isFile(): boolean {
    return "path" in this.#source;
  }

  /** True when a new attempt can send the same bytes again. */
  get replayable(): boolean {
    return "path" in this.#source || this.#bytes === 0;
  }

  /** The progress of the current attempt. */
  get progress(): AttemptProgress {
    return { bytes: this.#bytes, complete: this.#complete, sourceError: this.#sourceError };
  }

  /** The body of a new attempt (restarts hashing for a file). */
  attempt(): AsyncIterable<Uint8Array> {
    if ("path" in this.#source) {
      void this.#iterator?.return?.();
      this.#hash = createHash("sha256");
      this.#bytes = 0;
      this.#complete = false;
      this.#iterator = createReadStream(this.#source.path, { highWaterMark: CHUNK })[Symbol.asyncIterator]();
    } else if (!this.#iterator) {
      this.#iterator = this.#source.stream[Symbol.asyncIterator]();
    }
    const self = this;
    return {
      async *[Symbol.asyncIterator]() {
        for (;;) {
          const chunk = await self.#pull();
          if (chunk === null) return;
          yield chunk;
        }
      },
    };
  }

  /**
   * The sha256 and size of the whole source, reading what the attempt did not send: a
   * file is hashed again from the start, a stream is drained from where it stopped.
   */
  async digest(): Promise<{ sha256: string; size: number }> {
    if (!this.#complete && "path" in this.#source) {
      const hash = createHash("sha256");
      let size = 0;
      for await (const chunk of createReadStream(this.#source.path, { highWaterMark: CHUNK })) {
        hash.update(chunk as Buffer);
        size += (chunk as Buffer).length;
      }
      return { sha256: hash.digest("hex"), size };
    }
    while ((await this.#pull()) !== null) {
      // draining the rest of the stream into the hash
    }
    return { sha256: this.#hash.copy().digest("hex"), size: this.#bytes };
  }

  /** Releases the source (closes the file, or returns the stream's iterator). */
  async close(): Promise<void> {
    const iterator = this.#iterator;
    this.#iterator = undefined;
    this.#complete = true;
    try {
      await iterator?.return?.();
    } catch {
      // the source's own cleanup failing does not change the upload's outcome
    }
  }

  #pull(): Promise<Uint8Array | null> {
    const next = this.#chain.then(async () => {
      if (this.#complete || !this.#iterator) return null;
      let result: IteratorResult<Uint8Array>;
      try {
        result = await this.#iterator.next();
      } catch (error) {
        this.#sourceError = error;
        throw error;
      }
      if (result.done) {
        this.#complete = true;
        return null;
      }
      const chunk = result.value;
      this.#hash.update(chunk);
      this.#bytes += chunk.length;
      return chunk;
    });
    this.#chain = next.catch(() => undefined);
    return next;
  }
}
