import { createHash, type Hash } from "node:crypto";
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import type { ArtifactSource } from "@backflip/core";
import { FileRingReader, RING_SLOTS } from "./file-ring-reader";
import { Sha256Worker } from "./sha256-worker";

const CHUNK = 1 << 20;
const MIN_SLOT = 64 * 1024;
/** From this size on a file is hashed on a worker thread (starting one costs a few ms). */
const WORKER_MIN_BYTES = 32 * CHUNK;

/** What one upload attempt sent, as far as it got. */
export interface AttemptProgress {
  /** Bytes pulled from the source (and hashed). */
  readonly bytes: number;
  /** The whole source was read. */
  readonly complete: boolean;
  /** The source itself failed (not the network). */
  readonly sourceError: unknown;
  /** Hashing failed (the worker thread died), so this attempt's sha256 is unknown. */
  readonly hashError: unknown;
}

/** One attempt at sending a file: its ring of chunks and its hasher. */
class FileAttempt {
  readonly #path: string;
  readonly #size: number;
  #reader: Promise<FileRingReader> | undefined;
  #worker: Sha256Worker | undefined;
  #hash: Hash = createHash("sha256");
  #closed = false;

  constructor(path: string, size: number) {
    this.#path = path;
    this.#size = size;
  }

  /** Opens the file on first use; a large one gets a worker (in-thread hashing if none can start). */
  #open(): Promise<FileRingReader> {
    this.#reader ??= (async () => {
      const useWorker = this.#size >= WORKER_MIN_BYTES;
      const slot = Math.min(CHUNK, Math.max(MIN_SLOT, this.#size));
      const reader = await FileRingReader.open(this.#path, slot, useWorker);
      if (useWorker && reader.buffer instanceof SharedArrayBuffer) {
        try {
          this.#worker = Sha256Worker.start(reader.buffer);
        } catch {
          // no worker can start here (e.g. the permission model): hash on this thread
        }
      }
      return reader;
    })();
    return this.#reader;
  }

  /** Resolves with the next chunk (already queued for hashing), or `null` at the end. */
  async next(): Promise<{ chunk: Uint8Array | null } | { hashError: Error }> {
    if (this.#closed) return { chunk: null };
    const reader = await this.#open();
    if (this.#closed) return { chunk: null };
    const worker = this.#worker;
    if (worker) {
      if (worker.failure) return { hashError: worker.failure };
      try {
        // the slot about to be refilled must be hashed first
        const overwritten = reader.reads - RING_SLOTS + 1;
        if (overwritten > 0) await worker.hashed(overwritten);
      } catch (error) {
        return { hashError: error as Error };
      }
    }
    const chunk = await reader.read();
    if (chunk === null) return { chunk };
    if (worker) worker.update(chunk);
    else this.#hash.update(chunk);
    return { chunk };
  }

  /** The sha256 of every chunk read. */
  async digest(): Promise<string> {
    return this.#worker ? this.#worker.digest() : this.#hash.copy().digest("hex");
  }

  /** Closes the file and stops the worker. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const reader = this.#reader;
    if (reader) await this.#release(await reader.catch(() => null));
  }

  async #release(reader: FileRingReader | null): Promise<void> {
    await this.#worker?.close().catch(() => undefined);
    await reader?.close().catch(() => undefined);
  }
}

/**
 * An upload's body: streamed from a file or an AsyncIterable, never held whole, with the
 * sha256 computed on the way (for a large file on a worker thread, beside the send). A
 * file can be replayed for a retry; a stream only when no byte of it was pulled yet.
 */
export class UploadBody {
  /** Bytes in the source when known up front (a file's size, or a declared stream size). */
  readonly size: number | undefined;
  readonly #source: ArtifactSource;
  #iterator: AsyncIterator<Uint8Array> | undefined;
  #file: FileAttempt | undefined;
  #chain: Promise<unknown> = Promise.resolve();
  #hash: Hash = createHash("sha256");
  #bytes = 0;
  #complete = false;
  #sourceError: unknown;
  #hashError: unknown;

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
    return {
      bytes: this.#bytes,
      complete: this.#complete,
      sourceError: this.#sourceError,
      hashError: this.#hashError,
    };
  }

  /** The body of a new attempt (restarts reading and hashing for a file). */
  attempt(): AsyncIterable<Uint8Array> {
    let file: FileAttempt | undefined;
    if ("path" in this.#source) {
      void this.#file?.close();
      file = new FileAttempt(this.#source.path, this.size ?? 0);
      this.#file = file;
      this.#bytes = 0;
      this.#complete = false;
      this.#hashError = undefined;
    } else if (!this.#iterator) {
      this.#iterator = this.#source.stream[Symbol.asyncIterator]();
    }
    const self = this;
    return {
      async *[Symbol.asyncIterator]() {
        for (;;) {
          const chunk = await self.#pull(file);
          if (chunk === null) return;
          yield chunk;
        }
      },
    };
  }

  /**
   * The sha256 and size of the whole source, reading what the attempt did not send: a
   * file is hashed again from the start, a stream is drained from where it stopped.
   * Rejects with the worker's failure (also kept as `progress.hashError`).
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
    if (this.#file) {
      try {
        return { sha256: await this.#file.digest(), size: this.#bytes };
      } catch (error) {
        this.#hashError = error;
        throw error;
      }
    }
    while ((await this.#pull(undefined)) !== null) {
      // draining the rest of the stream into the hash
    }
    return { sha256: this.#hash.copy().digest("hex"), size: this.#bytes };
  }

  /** Releases the source (closes the file and its worker, or returns the stream's iterator). */
  async close(): Promise<void> {
    const iterator = this.#iterator;
    this.#iterator = undefined;
    this.#complete = true;
    try {
      await this.#file?.close();
      await iterator?.return?.();
    } catch {
      // the source's own cleanup failing does not change the upload's outcome
    }
  }

  #pull(file: FileAttempt | undefined): Promise<Uint8Array | null> {
    const next = this.#chain.then(() => (file ? this.#pullFile(file) : this.#pullStream()));
    this.#chain = next.catch(() => undefined);
    return next;
  }

  async #pullFile(file: FileAttempt): Promise<Uint8Array | null> {
    if (file !== this.#file || this.#complete) return null;
    let got: Awaited<ReturnType<FileAttempt["next"]>>;
    try {
      got = await file.next();
    } catch (error) {
      this.#sourceError = error;
      throw error;
    }
    if ("hashError" in got) {
      this.#hashError = got.hashError;
      throw got.hashError;
    }
    if (got.chunk === null) {
      this.#complete = true;
      return null;
    }
    this.#bytes += got.chunk.length;
    return got.chunk;
  }

  async #pullStream(): Promise<Uint8Array | null> {
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
  }
}
