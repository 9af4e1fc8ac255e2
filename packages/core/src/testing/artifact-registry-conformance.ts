import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ArtifactRef, ArtifactRegistry } from "../ports/artifact-registry";
import type { ConformanceTarget } from "./conformance-target";
import { fixturePerTest } from "./fixture-per-test";

/** What the {@link runArtifactRegistryConformance} suite needs besides the driver. */
export interface ArtifactRegistryFixtures {
  /** A component the registry accepts (a lower-case name, e.g. `backend`), empty at setup. */
  readonly component: string;
  /**
   * Replaces an uploaded artifact's stored bytes behind the driver's back (same size,
   * digest in the listing unchanged), to prove `download` verifies the checksum. Optional:
   * the checksum test is skipped without it.
   */
  readonly corrupt?: (ref: ArtifactRef) => Promise<void>;
}

const newSha = () => randomBytes(20).toString("hex");
const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

async function* chunks(bytes: Uint8Array, size = 7_001): AsyncIterable<Uint8Array> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}

/**
 * The `ArtifactRegistry` contract, as vitest tests. Semantics every driver must keep:
 * `stat` answers `null` for an absent artifact; `upload` streams (file or AsyncIterable)
 * and reports the sha256 of what it sent; re-uploading identical bytes succeeds, different
 * bytes give `conflict` and keep the stored artifact; `download` verifies the checksum and
 * leaves nothing behind on failure (`not_found` when absent, `failed` on a mismatch);
 * `listVersions` is newest first; `delete` gives `not_found` when absent; bad input gives
 * `invalid_input`.
 */
export function runArtifactRegistryConformance(
  target: ConformanceTarget<ArtifactRegistry, ArtifactRegistryFixtures>,
): void {
  describe.skipIf(target.skip)(`ArtifactRegistry conformance: ${target.name}`, () => {
    const ctx = fixturePerTest(target);
    let dir: string;

    beforeEach(async () => {
      dir = await mkdtemp(join(tmpdir(), "backflip-registry-conformance-"));
    });
    afterEach(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    const ref = (sha = newSha()): ArtifactRef => ({ component: ctx().fixtures.component, sha });

    it("stat answers null for an artifact that was never uploaded", async () => {
      const result = await ctx().port.stat(ref());
      expect(result._unsafeUnwrap()).toBeNull();
    });

    it("uploads from a stream and reports size and sha256; stat agrees", async () => {
      const bytes = randomBytes(150_000);
      const r = ref();
      const info = (await ctx().port.upload(r, { stream: chunks(bytes) }))._unsafeUnwrap();
      expect(info).toMatchObject({ component: r.component, sha: r.sha, version: r.sha, size: bytes.length });
      expect(info.sha256).toBe(sha256(bytes));
      const stat = (await ctx().port.stat(r))._unsafeUnwrap();
      expect(stat).not.toBeNull();
      expect(stat?.size).toBe(bytes.length);
      expect(stat?.file).toBe(info.file);
      if (stat?.sha256 !== undefined) expect(stat.sha256).toBe(sha256(bytes));
    });

    it("uploads from a file path, with or without a declared stream size", async () => {
      const bytes = randomBytes(64_000);
      const path = join(dir, "artifact.bin");
      await writeFile(path, bytes);
      const fromPath = (await ctx().port.upload(ref(), { path }))._unsafeUnwrap();
      expect(fromPath.size).toBe(bytes.length);
      expect(fromPath.sha256).toBe(sha256(bytes));
      const sized = (
        await ctx().port.upload(ref(), { stream: chunks(bytes), size: bytes.length })
      )._unsafeUnwrap();
      expect(sized.sha256).toBe(sha256(bytes));
    });

    it("re-uploading identical bytes succeeds; different bytes give conflict and keep the original", async () => {
      const bytes = randomBytes(20_000);
      const r = ref();
      (await ctx().port.upload(r, { stream: chunks(bytes) }))._unsafeUnwrap();
      const again = await ctx().port.upload(r, { stream: chunks(bytes) });
      expect(again._unsafeUnwrap().sha256).toBe(sha256(bytes));
      const other = await ctx().port.upload(r, { stream: chunks(randomBytes(20_000)) });
      expect(other._unsafeUnwrapErr().reason).toBe("conflict");
      const dest = join(dir, "kept.bin");
      (await ctx().port.download(r, dest))._unsafeUnwrap();
      expect(sha256(await readFile(dest))).toBe(sha256(bytes));
    });

    it("downloads the exact bytes and leaves only the destination file", async () => {
      const bytes = randomBytes(300_000);
      const r = ref();
      (await ctx().port.upload(r, { stream: chunks(bytes) }))._unsafeUnwrap();
      const dest = join(dir, "out.tar.zst");
      const info = (await ctx().port.download(r, dest))._unsafeUnwrap();
      expect(info.size).toBe(bytes.length);
      expect(Buffer.compare(await readFile(dest), bytes)).toBe(0);
      expect(await readdir(dir)).toEqual(["out.tar.zst"]);
    });

    it("download of an absent artifact is not_found and creates nothing", async () => {
      const dest = join(dir, "missing.bin");
      const result = await ctx().port.download(ref(), dest);
      expect(result._unsafeUnwrapErr().reason).toBe("not_found");
      expect(await readdir(dir)).toEqual([]);
    });

    it("a download whose bytes do not match the checksum fails and keeps nothing", async (test) => {
      const corrupt = ctx().fixtures.corrupt;
      if (!corrupt) {
        test.skip();
        return;
      }
      const r = ref();
      (await ctx().port.upload(r, { stream: chunks(randomBytes(40_000)) }))._unsafeUnwrap();
      await corrupt(r);
      const result = await ctx().port.download(r, join(dir, "corrupt.bin"));
      expect(result._unsafeUnwrapErr().reason).toBe("failed");
      expect(await readdir(dir)).toEqual([]);
    });

    it("lists versions newest first", async () => {
      const [a, b, c] = [ref(), ref(), ref()];
      for (const r of [a, b, c])
        (await ctx().port.upload(r, { stream: chunks(randomBytes(1_000)) }))._unsafeUnwrap();
      const versions = (await ctx().port.listVersions(ctx().fixtures.component))._unsafeUnwrap();
      const order = versions.map((v) => v.version).filter((v) => [a.sha, b.sha, c.sha].includes(v));
      expect(order).toEqual([c.sha, b.sha, a.sha]);
      for (const v of versions) expect(Number.isNaN(Date.parse(v.createdAt))).toBe(false);
    });

    it("lists no versions for a component with nothing uploaded", async () => {
      const versions = (await ctx().port.listVersions(ctx().fixtures.component))._unsafeUnwrap();
      expect(versions).toEqual([]);
    });

    it("deletes an artifact; deleting it again is not_found", async () => {
      const r = ref();
      (await ctx().port.upload(r, { stream: chunks(randomBytes(2_000)) }))._unsafeUnwrap();
      (await ctx().port.delete(r))._unsafeUnwrap();
      expect((await ctx().port.stat(r))._unsafeUnwrap()).toBeNull();
      expect((await ctx().port.delete(r))._unsafeUnwrapErr().reason).toBe("not_found");
    });

    it("rejects a SHA that is not 40 lower-case hex and a bad component with invalid_input", async () => {
      const bad = { component: ctx().fixtures.component, sha: "deadbeef" };
      expect((await ctx().port.stat(bad))._unsafeUnwrapErr().reason).toBe("invalid_input");
      expect((await ctx().port.download(bad, join(dir, "x")))._unsafeUnwrapErr().reason).toBe(
        "invalid_input",
      );
      expect((await ctx().port.delete(bad))._unsafeUnwrapErr().reason).toBe("invalid_input");
      const upload = await ctx().port.upload(bad, { stream: chunks(randomBytes(10)) });
      expect(upload._unsafeUnwrapErr().reason).toBe("invalid_input");
      expect((await ctx().port.listVersions("../etc"))._unsafeUnwrapErr().reason).toBe("invalid_input");
      expect(
        (await ctx().port.stat({ component: "Bad Name", sha: newSha() }))._unsafeUnwrapErr().reason,
      ).toBe("invalid_input");
      expect(await readdir(dir)).toEqual([]);
    });
  });
}
