import { createHash, randomBytes } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { FileRingReader, RING_SLOTS } from "../src/file-ring-reader";
import { SHA256_WORKER_SOURCE, Sha256Worker } from "../src/sha256-worker";
import { newSha, type RegistryRig, registryRig, sha256 } from "./helpers";

let rig: RegistryRig | undefined;
afterEach(async () => {
  vi.restoreAllMocks();
  await rig?.close();
  rig = undefined;
});

const backend = (sha: string) => ({ component: "backend", sha });
/** Big enough for the worker (32 MiB) and for the ring of 1 MiB slots to wrap several times. */
const LARGE = 40 * 1024 * 1024 + 12_345;

/** A worker program that hashes two ranges, then dies as a crashed thread would. */
const DYING_WORKER = SHA256_WORKER_SOURCE.replace(
  "hashed += 1;",
  'hashed += 1; if (hashed === 3) throw new Error("worker crashed on purpose");',
);

describe("Sha256Worker", () => {
  it("digests ranges of a reused shared buffer exactly as createHash does", async () => {
    const shared = new SharedArrayBuffer(4 * 1000);
    const view = new Uint8Array(shared);
    const worker = Sha256Worker.start(shared);
    const expected = createHash("sha256");
    try {
      for (let i = 0; i < 25; i++) {
        const slot = i % 4;
        if (i >= 4) await worker.hashed(i - 3);
        const chunk = randomBytes(1 + ((i * 397) % 1000));
        view.set(chunk, slot * 1000);
        expected.update(chunk);
        expect(worker.update(view.subarray(slot * 1000, slot * 1000 + chunk.length))).toBe(i + 1);
      }
      const digest = await worker.digest();
      expect(digest).toBe(expected.digest("hex"));
      expect(await worker.digest()).toBe(digest);
    } finally {
      await worker.close();
    }
  });

  it("a worker that dies rejects what waits on it and everything after", async () => {
    const shared = new SharedArrayBuffer(16);
    const worker = Sha256Worker.start(shared, DYING_WORKER);
    try {
      const view = new Uint8Array(shared, 0, 16);
      for (let i = 0; i < 5; i++) worker.update(view);
      await expect(worker.hashed(5)).rejects.toThrow("worker crashed on purpose");
      await expect(worker.digest()).rejects.toThrow("worker crashed on purpose");
      expect(worker.failure?.message).toContain("worker crashed on purpose");
    } finally {
      await worker.close();
    }
  });
});

describe("FileRingReader", () => {
  it("reads a file front to back through reused slots", async () => {
    rig = await registryRig();
    const bytes = randomBytes(10 * 4096 + 7);
    const path = join(rig.dir, "ring.bin");
    await writeFile(path, bytes);
    const reader = await FileRingReader.open(path, 4096, false);
    const hash = createHash("sha256");
    const starts = new Set<number>();
    try {
      for (let chunk = await reader.read(); chunk !== null; chunk = await reader.read()) {
        hash.update(chunk);
        starts.add(chunk.byteOffset);
      }
    } finally {
      await reader.close();
    }
    expect(hash.digest("hex")).toBe(sha256(bytes));
    expect(reader.reads).toBe(11);
    expect(starts.size).toBe(RING_SLOTS);
  });
});

describe("upload of a large file (hashed on a worker thread)", () => {
  it("reports the sha256 of the bytes the server stored", async () => {
    rig = await registryRig();
    const bytes = randomBytes(LARGE);
    const path = join(rig.dir, "large.bin");
    await writeFile(path, bytes);
    const start = vi.spyOn(Sha256Worker, "start");
    const sha = newSha();
    const info = (await rig.registry.upload(backend(sha), { path }))._unsafeUnwrap();
    expect(start).toHaveBeenCalledTimes(1);
    expect(info.sha256).toBe(sha256(bytes));
    expect(info.size).toBe(LARGE);
    const stored = rig.fake.storedFile("talas", "veza-backend", sha, rig.file(sha));
    expect(stored?.digests.sha256).toBe(sha256(bytes));
    expect(stored?.size).toBe(LARGE);
    // a second upload of the same bytes is the idempotent 409 path, compared by the worker's digest
    expect((await rig.registry.upload(backend(sha), { path }))._unsafeUnwrap().sha256).toBe(sha256(bytes));
    expect(rig.count("PUT")).toBe(2);
  });

  it("is retried after a reset with a fresh worker and ring, and still digests right", async () => {
    rig = await registryRig();
    const bytes = randomBytes(LARGE);
    const path = join(rig.dir, "large.bin");
    await writeFile(path, bytes);
    rig.fake.injectFault({ method: "PUT", action: { kind: "reset" } });
    const start = vi.spyOn(Sha256Worker, "start");
    const sha = newSha();
    const info = (await rig.registry.upload(backend(sha), { path }))._unsafeUnwrap();
    expect(info.sha256).toBe(sha256(bytes));
    expect(rig.count("PUT")).toBe(2);
    expect(start.mock.calls.length).toBeGreaterThanOrEqual(1);
    expect(rig.fake.storedFile("talas", "veza-backend", sha, rig.file(sha))?.digests.sha256).toBe(
      sha256(bytes),
    );
  });

  it("a worker that dies mid-upload is a `failed` DriverError value, not a throw", async () => {
    rig = await registryRig();
    const path = join(rig.dir, "large.bin");
    await writeFile(path, randomBytes(LARGE));
    const start = Sha256Worker.start.bind(Sha256Worker);
    vi.spyOn(Sha256Worker, "start").mockImplementation((shared) => start(shared, DYING_WORKER));
    const result = await rig.registry.upload(backend(newSha()), { path });
    const error = result._unsafeUnwrapErr();
    expect(error.driver).toBe("forgejo");
    expect(error.op).toBe("upload");
    expect(error.reason).toBe("failed");
    expect(error.message).toContain("hashing the upload on a worker thread failed");
    expect(error.message).toContain("worker crashed on purpose");
    expect(error.hint).toMatch(/upload the same file again/);
    expect(rig.count("PUT")).toBe(1);
  });

  it("hashes on this thread when no worker can start", async () => {
    rig = await registryRig();
    const bytes = randomBytes(LARGE);
    const path = join(rig.dir, "large.bin");
    await writeFile(path, bytes);
    vi.spyOn(Sha256Worker, "start").mockImplementation(() => {
      throw new Error("ERR_ACCESS_DENIED: workers are not allowed");
    });
    const sha = newSha();
    const info = (await rig.registry.upload(backend(sha), { path }))._unsafeUnwrap();
    expect(info.sha256).toBe(sha256(bytes));
    expect(rig.fake.storedFile("talas", "veza-backend", sha, rig.file(sha))?.digests.sha256).toBe(
      sha256(bytes),
    );
  });
});
