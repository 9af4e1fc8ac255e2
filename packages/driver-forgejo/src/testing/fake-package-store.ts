import { createHash, type Hash, randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { open, rm } from "node:fs/promises";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";

/** The digests the fake computes for each stored file. */
export type FakeDigest = "md5" | "sha1" | "sha256" | "sha512";

/** One stored file of a package version (bytes on disk, never in memory). */
export interface FakeStoredFile {
  readonly id: number;
  readonly name: string;
  readonly size: number;
  readonly digests: Readonly<Partial<Record<FakeDigest, string>>>;
  readonly blobPath: string;
  readonly createdMs: number;
}

/** One version of a package. */
export interface FakeStoredVersion {
  readonly id: number;
  readonly owner: string;
  readonly name: string;
  readonly version: string;
  /** Creation time, whole seconds (as Forgejo's `created_unix`). */
  readonly createdSec: number;
  /** Files by lower-case name (Forgejo matches `lower_name`). */
  readonly files: Map<string, FakeStoredFile>;
}

/**
 * A keep-N cleanup rule as Forgejo's owner settings define it (services/packages/cleanup):
 * the newest `keepCount` versions are kept, then versions matching `keepPattern`, then
 * versions younger than `removeDays`; the rest are removed if they match `removePattern`
 * (or always, without one). Patterns are anchored and case-insensitive.
 */
export interface FakeCleanupRule {
  readonly owner: string;
  readonly enabled?: boolean;
  readonly keepCount?: number;
  readonly keepPattern?: string;
  readonly removeDays?: number;
  readonly removePattern?: string;
  /** Match patterns against `package/version` instead of the version. */
  readonly matchFullName?: boolean;
}

/** The outcome of storing an upload. */
export type FakePutResult = { kind: "created"; file: FakeStoredFile } | { kind: "duplicate" };

const anchored = (pattern: string) => new RegExp(`^(?:${pattern})$`, "i");

/** The fake's package storage: files streamed to disk with their digests, versions in memory. */
export class FakePackageStore {
  readonly #dir: string;
  readonly #digests: readonly FakeDigest[];
  readonly #now: () => number;
  readonly #versions: FakeStoredVersion[] = [];
  readonly #byId = new Map<number, FakeStoredFile>();
  #ids = 0;

  constructor(dir: string, digests: readonly FakeDigest[], now: () => number) {
    this.#dir = dir;
    this.#digests = digests;
    this.#now = now;
  }

  /** Bytes stored for `owner`. */
  usage(owner: string): number {
    let total = 0;
    for (const v of this.#versions) if (v.owner === owner) for (const f of v.files.values()) total += f.size;
    return total;
  }

  /** Streams `body` to disk, then adds it (Forgejo reads the whole body before the duplicate check). */
  async put(
    owner: string,
    name: string,
    version: string,
    file: string,
    body: Readable,
  ): Promise<FakePutResult> {
    const blobPath = join(this.#dir, `blob-${randomBytes(8).toString("hex")}`);
    const hashes = this.#digests.map((d) => [d, createHash(d)] as [FakeDigest, Hash]);
    let size = 0;
    try {
      await pipeline(
        body,
        async function* (source: AsyncIterable<Buffer>) {
          for await (const chunk of source) {
            for (const [, h] of hashes) h.update(chunk);
            size += chunk.length;
            yield chunk;
          }
        },
        createWriteStream(blobPath),
      );
    } catch (error) {
      await rm(blobPath, { force: true });
      throw error;
    }
    const existing = this.version(owner, name, version);
    if (existing?.files.has(file.toLowerCase())) {
      await rm(blobPath, { force: true });
      return { kind: "duplicate" };
    }
    const digests = Object.fromEntries(hashes.map(([d, h]) => [d, h.digest("hex")]));
    const stored: FakeStoredFile = {
      id: ++this.#ids,
      name: file,
      size,
      digests,
      blobPath,
      createdMs: this.#now(),
    };
    const v = existing ?? this.#addVersion(owner, name, version);
    v.files.set(file.toLowerCase(), stored);
    this.#byId.set(stored.id, stored);
    return { kind: "created", file: stored };
  }

  /** A stored file by its id (for the storage origin). */
  fileById(id: number): FakeStoredFile | undefined {
    return this.#byId.get(id);
  }

  /** The version, when stored; names and versions match case-insensitively (`lower_name`, `lower_version`). */
  version(owner: string, name: string, version: string): FakeStoredVersion | undefined {
    const [n, ver] = [name.toLowerCase(), version.toLowerCase()];
    return this.#versions.find(
      (v) => v.owner === owner && v.name.toLowerCase() === n && v.version.toLowerCase() === ver,
    );
  }

  /** A stored file, matched case-insensitively. */
  file(owner: string, name: string, version: string, file: string): FakeStoredFile | undefined {
    return this.version(owner, name, version)?.files.get(file.toLowerCase());
  }

  /** True when `owner` has a package named `name` (any version, case-insensitively). */
  hasPackage(owner: string, name: string): boolean {
    return this.#versions.some((v) => v.owner === owner && v.name.toLowerCase() === name.toLowerCase());
  }

  /** How many packages (distinct names) `owner` has. */
  packageCount(owner: string): number {
    return new Set(this.#versions.filter((v) => v.owner === owner).map((v) => v.name.toLowerCase())).size;
  }

  /** Every version of `owner` whose package name contains `q`: newest first, same-second ties by id ascending. */
  list(owner: string, q: string): FakeStoredVersion[] {
    return this.#versions
      .filter((v) => v.owner === owner && v.name.toLowerCase().includes(q.toLowerCase()))
      .sort((a, b) => b.createdSec - a.createdSec || a.id - b.id);
  }

  /** Deletes a file; the version goes with its last file (as Forgejo does). */
  async deleteFile(owner: string, name: string, version: string, file: string): Promise<boolean> {
    const v = this.version(owner, name, version);
    const f = v?.files.get(file.toLowerCase());
    if (!v || !f) return false;
    v.files.delete(file.toLowerCase());
    this.#byId.delete(f.id);
    await rm(f.blobPath, { force: true });
    if (v.files.size === 0) this.#versions.splice(this.#versions.indexOf(v), 1);
    return true;
  }

  /** Deletes a version with all its files. */
  async deleteVersion(owner: string, name: string, version: string): Promise<boolean> {
    const v = this.version(owner, name, version);
    if (!v) return false;
    for (const f of v.files.values()) {
      this.#byId.delete(f.id);
      await rm(f.blobPath, { force: true });
    }
    this.#versions.splice(this.#versions.indexOf(v), 1);
    return true;
  }

  /** Overwrites a stored file's bytes in place (same size, listed digests unchanged). */
  async corrupt(owner: string, name: string, version: string, file: string): Promise<boolean> {
    const f = this.file(owner, name, version, file);
    if (!f) return false;
    const handle = await open(f.blobPath, "r+");
    try {
      const one = Buffer.alloc(1);
      const at = Math.floor(f.size / 2);
      await handle.read(one, 0, 1, at);
      one[0] = (one[0] ?? 0) ^ 0xff;
      await handle.write(one, 0, 1, at);
    } finally {
      await handle.close();
    }
    return true;
  }

  /** Runs the cleanup rules as Forgejo's cron would; returns the removed `package/version`s. */
  async cleanup(rules: readonly FakeCleanupRule[]): Promise<string[]> {
    const removed: string[] = [];
    const nowSec = Math.floor(this.#now() / 1000);
    for (const rule of rules) {
      if (rule.enabled === false) continue;
      const keepRe = rule.keepPattern ? anchored(rule.keepPattern) : undefined;
      const removeRe = rule.removePattern ? anchored(rule.removePattern) : undefined;
      const names = new Set(this.#versions.filter((v) => v.owner === rule.owner).map((v) => v.name));
      for (const name of names) {
        const versions = this.list(rule.owner, "")
          .filter((v) => v.name === name)
          .sort((a, b) => b.createdSec - a.createdSec || b.id - a.id);
        for (const v of versions.slice(rule.keepCount ?? 0)) {
          const subject = rule.matchFullName ? `${v.name}/${v.version}` : v.version;
          if (keepRe?.test(subject)) continue;
          if (rule.removeDays && v.createdSec > nowSec - rule.removeDays * 86_400) continue;
          if (removeRe && !removeRe.test(subject)) continue;
          await this.deleteVersion(v.owner, v.name, v.version);
          removed.push(`${v.name}/${v.version}`);
        }
      }
    }
    return removed;
  }

  #addVersion(owner: string, name: string, version: string): FakeStoredVersion {
    const v: FakeStoredVersion = {
      id: ++this.#ids,
      owner,
      name,
      version,
      createdSec: Math.floor(this.#now() / 1000),
      files: new Map(),
    };
    this.#versions.push(v);
    return v;
  }
}
