import { Worker } from "node:worker_threads";

/**
 * The worker's whole program (CommonJS, run with `eval`, so the package needs no separate
 * worker entry file). It hashes `[offset, length]` ranges of the shared buffer it was given,
 * in the order they arrive, answers each with the count hashed so far, and `"digest"` with
 * `{ digest }`.
 */
export const SHA256_WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const hash = require("node:crypto").createHash("sha256");
const bytes = new Uint8Array(workerData);
let hashed = 0;
parentPort.on("message", (message) => {
  if (message === "digest") {
    parentPort.postMessage({ digest: hash.digest("hex") });
    return;
  }
  hash.update(bytes.subarray(message[0], message[0] + message[1]));
  hashed += 1;
  parentPort.postMessage(hashed);
});
`;

interface Waiter<T> {
  readonly resolve: (value: T) => void;
  readonly reject: (error: Error) => void;
}

/**
 * A sha256 computed on a worker thread over ranges of one `SharedArrayBuffer`, so hashing
 * runs beside the main thread's reads and sends. Ranges are hashed in the order given; a
 * range must not be rewritten before {@link hashed} says it was hashed. A worker that
 * fails or exits turns every pending and later call into a rejection with its cause.
 */
export class Sha256Worker {
  readonly #worker: Worker;
  readonly #shared: SharedArrayBuffer;
  #updates = 0;
  #hashed = 0;
  #failure: Error | undefined;
  #closed = false;
  #waiters: (Waiter<void> & { readonly count: number })[] = [];
  #digests: Waiter<string>[] = [];
  #digest: string | undefined;

  private constructor(worker: Worker, shared: SharedArrayBuffer) {
    this.#worker = worker;
    this.#shared = shared;
    worker.on("message", (message: unknown) => {
      if (typeof message === "number") this.#progress(message);
      else if (isDigest(message)) this.#digested(message.digest);
      else this.#fail(new Error("the hashing worker sent an unexpected message"));
    });
    worker.on("error", (error) => this.#fail(error));
    worker.on("messageerror", (error) => this.#fail(error));
    worker.on("exit", (code) => {
      if (!this.#closed) this.#fail(new Error(`the hashing worker exited with code ${code}`));
    });
  }

  /**
   * Starts a worker over `shared`; throws when this process cannot start one (e.g. the
   * permission model forbids workers). `source` is the worker's program (tests give a
   * failing one).
   */
  static start(shared: SharedArrayBuffer, source: string = SHA256_WORKER_SOURCE): Sha256Worker {
    return new Sha256Worker(new Worker(source, { eval: true, workerData: shared }), shared);
  }

  /** The failure that stopped the worker, if any. */
  get failure(): Error | undefined {
    return this.#failure;
  }

  /** Queues `view` (which must lie in the shared buffer) for hashing; returns its update number (from 1). */
  update(view: Uint8Array): number {
    if (view.buffer !== this.#shared) throw new Error("the view is not over the worker's shared buffer");
    this.#updates += 1;
    if (this.#failure === undefined && !this.#closed) {
      this.#worker.postMessage([view.byteOffset, view.byteLength]);
    }
    return this.#updates;
  }

  /** Resolves once the first `count` updates were hashed (their bytes may then be rewritten). */
  hashed(count: number): Promise<void> {
    if (this.#failure) return Promise.reject(this.#failure);
    if (this.#hashed >= count) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.#waiters.push({ count, resolve, reject });
    });
  }

  /** The hex sha256 of every update so far; no update may follow. */
  digest(): Promise<string> {
    if (this.#failure) return Promise.reject(this.#failure);
    if (this.#digest !== undefined) return Promise.resolve(this.#digest);
    const pending = new Promise<string>((resolve, reject) => {
      this.#digests.push({ resolve, reject });
    });
    if (this.#digests.length === 1) this.#worker.postMessage("digest");
    return pending;
  }

  /** Stops the worker; pending calls reject. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#rejectAll(this.#failure ?? new Error("the hashing worker was closed"));
    await this.#worker.terminate();
  }

  #progress(hashed: number): void {
    this.#hashed = hashed;
    const ready = this.#waiters.filter((w) => w.count <= hashed);
    this.#waiters = this.#waiters.filter((w) => w.count > hashed);
    for (const w of ready) w.resolve();
  }

  #digested(digest: string): void {
    this.#digest = digest;
    const waiting = this.#digests;
    this.#digests = [];
    for (const w of waiting) w.resolve(digest);
  }

  #fail(error: Error): void {
    if (this.#failure !== undefined || this.#closed) return;
    this.#failure = error;
    this.#rejectAll(error);
    void this.#worker.terminate();
  }

  #rejectAll(error: Error): void {
    const waiting: Waiter<never>[] = [...this.#waiters, ...this.#digests];
    this.#waiters = [];
    this.#digests = [];
    for (const w of waiting) w.reject(error);
  }
}

const isDigest = (message: unknown): message is { digest: string } =>
  typeof message === "object" &&
  message !== null &&
  typeof (message as { digest?: unknown }).digest === "string";
