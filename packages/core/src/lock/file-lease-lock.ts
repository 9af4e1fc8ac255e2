import { randomBytes } from "node:crypto";
import { closeSync, linkSync, openSync, readdirSync, readFileSync, renameSync, unlinkSync } from "node:fs";
import { join, resolve } from "node:path";
import { err, errAsync, ok, type Result, ResultAsync } from "neverthrow";
import { type DriverError, driverError } from "../errors/driver-error";
import { fsyncDirSync } from "../fs/fsync-dir";
import { ensurePrivateDirSync, PRIVATE_FILE_MODE } from "../fs/private-dir";
import { writeSynced } from "../fs/write-synced";
import type { Lease, LeaseLock, LeaseStatus } from "../ports/lease-lock";
import {
  heldError,
  isStale,
  leaseSchema,
  lostError,
  newLease,
  notLockedError,
  parseAcquire,
  parseLease,
  parseLockKey,
  parseRenew,
} from "./lease-input";

const DRIVER = "file-lock";

/** Options for {@link FileLeaseLock}. */
export interface FileLeaseLockOptions {
  /**
   * The directory holding `<key>.lock` files and `<key>.fence/` token markers, created 0700
   * on demand (an existing one of this user is tightened to 0700, another user's is
   * refused); lock files and markers are 0600.
   */
  readonly dir: string;
  /** The clock deciding expiry (default: the system clock). */
  readonly now?: () => Date;
}

function ioError(op: string, path: string, cause: unknown): DriverError {
  const code = (cause as NodeJS.ErrnoException)?.code;
  return driverError({
    driver: DRIVER,
    op,
    reason: code === "EACCES" || code === "EPERM" ? "unauthorized" : "unavailable",
    message: `${op} ${path}: ${(cause as Error)?.message ?? String(cause)}`,
    hint: "check the lock directory (permissions, disk)",
    cause,
  });
}

const code = (e: unknown) => (e as NodeJS.ErrnoException)?.code;

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Already gone.
  }
}

function readLease(path: string): Lease | undefined {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    if (code(e) === "ENOENT") return undefined;
    throw e;
  }
  const parsed = leaseSchema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new Error(`${path} is not a lease; inspect and remove it by hand`);
  return parsed.data;
}

function maxMarker(dir: string): number {
  const names = readdirSync(dir);
  return names.reduce((max, n) => (/^\d+$/.test(n) ? Math.max(max, Number(n)) : max), 0);
}

/**
 * A lease lock on the local file system, safe across processes on one machine.
 *
 * - `<key>.lock` holds the lease as JSON (owner, token, times). It is published with
 *   `link(2)` from a complete, fsync'd temp file: creation is atomic and exclusive,
 *   so of two racers exactly one wins. Renewals replace it by `rename(2)`.
 * - Fencing tokens come from `<key>.fence/`: each token is an exclusively created
 *   marker file `N`, taken only when `N` is the largest marker. Markers are never
 *   deleted below the largest one, so tokens grow per key forever, also across breaks
 *   and releases; a winner whose token was overtaken before it linked takes a fresh one.
 * - Release and break move the lock file aside (atomic) and put it back when it turns
 *   out not to be the lease they meant to remove.
 * - A lease is stale when its `expiresAt` has passed; it is reported with its owner
 *   and removed only by {@link FileLeaseLock.breakStale}.
 * - Its file operations are synchronous system calls (a few small metadata operations
 *   and fsyncs per call): on a busy machine each thread-pool round trip would cost more
 *   than the call itself.
 */
export class FileLeaseLock implements LeaseLock {
  readonly name = "file";
  readonly #dir: string;
  readonly #now: () => Date;

  /** A lock keeping its files in `options.dir`. */
  constructor(options: FileLeaseLockOptions) {
    this.#dir = resolve(options.dir);
    this.#now = options.now ?? (() => new Date());
  }

  #lockPath(key: string) {
    return join(this.#dir, `${key}.lock`);
  }

  #temp(key: string) {
    return join(this.#dir, `.${key}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  }

  #nextToken(key: string): number {
    const fence = join(this.#dir, `${key}.fence`);
    ensurePrivateDirSync(fence);
    for (;;) {
      const token = maxMarker(fence) + 1;
      try {
        closeSync(openSync(join(fence, String(token)), "wx", PRIVATE_FILE_MODE));
      } catch (e) {
        if (code(e) === "EEXIST") continue;
        throw e;
      }
      if (maxMarker(fence) > token) continue;
      fsyncDirSync(fence);
      for (const name of readdirSync(fence)) {
        if (/^\d+$/.test(name) && Number(name) < token) unlinkQuietly(join(fence, name));
      }
      return token;
    }
  }

  #isLatestToken(key: string, token: number): boolean {
    return maxMarker(join(this.#dir, `${key}.fence`)) === token;
  }

  /** Replaces the lock file with `lease` (only ever done by the lease's holder). */
  #replace(lease: Lease): void {
    const temp = this.#temp(lease.key);
    writeSynced(temp, JSON.stringify(lease), "wx");
    renameSync(temp, this.#lockPath(lease.key));
    fsyncDirSync(this.#dir);
  }

  /** Moves the lock file aside and removes it when `matches` says it is the one meant; else puts it back. */
  #removeIf(key: string, matches: (found: Lease) => boolean): Lease | undefined {
    const path = this.#lockPath(key);
    const aside = this.#temp(key);
    try {
      renameSync(path, aside);
    } catch (e) {
      if (code(e) === "ENOENT") return undefined;
      throw e;
    }
    const found = readLease(aside);
    if (found && matches(found)) {
      unlinkSync(aside);
      fsyncDirSync(this.#dir);
      return found;
    }
    try {
      linkSync(aside, path);
    } catch {
      // Another lease took the path meanwhile: it stays.
    }
    unlinkSync(aside);
    return undefined;
  }

  #run<T>(op: string, work: () => Result<T, DriverError>): ResultAsync<T, DriverError> {
    try {
      return new ResultAsync(Promise.resolve(work()));
    } catch (cause) {
      return errAsync(ioError(op, this.#dir, cause));
    }
  }

  /** Takes the lease on `key` (atomic, exclusive), or `conflict` naming the holder, stale or not. */
  acquire(key: string, options: { owner: string; ttlMs: number }): ResultAsync<Lease, DriverError> {
    return parseAcquire(DRIVER, key, options).asyncAndThen(({ owner, ttlMs }) =>
      this.#run("acquire", () => {
        ensurePrivateDirSync(this.#dir);
        const path = this.#lockPath(key);
        const held = readLease(path);
        if (held) return err(heldError(DRIVER, "acquire", held, isStale(held, this.#now())));
        let lease = newLease(key, owner, this.#nextToken(key), this.#now(), ttlMs);
        const temp = this.#temp(key);
        writeSynced(temp, JSON.stringify(lease), "wx");
        try {
          linkSync(temp, path);
        } catch (e) {
          if (code(e) !== "EEXIST") throw e;
          const winner = readLease(path);
          return err(
            winner
              ? heldError(DRIVER, "acquire", winner, isStale(winner, this.#now()))
              : driverError({
                  driver: DRIVER,
                  op: "acquire",
                  reason: "conflict",
                  message: `${key} was locked and released while acquiring: try again`,
                }),
          );
        } finally {
          unlinkQuietly(temp);
        }
        fsyncDirSync(this.#dir);
        if (!this.#isLatestToken(key, lease.token)) {
          lease = { ...lease, token: this.#nextToken(key) };
          this.#replace(lease);
        }
        return ok(lease);
      }),
    );
  }

  /** Extends the lease when it is still the current one (same token); `conflict` when it was lost. */
  renew(lease: Lease, ttlMs: number): ResultAsync<Lease, DriverError> {
    return parseRenew(DRIVER, lease, ttlMs).asyncAndThen((ttl) =>
      this.#run("renew", () => {
        const held = readLease(this.#lockPath(lease.key));
        if (held?.token !== lease.token) return err(lostError(DRIVER, lease, held));
        const renewed = newLease(held.key, held.owner, held.token, this.#now(), ttl, held.acquiredAt);
        this.#replace(renewed);
        return ok(renewed);
      }),
    );
  }

  /** Releases the lease if it is still the current one; a lease already gone is fine. */
  release(lease: Lease): ResultAsync<void, DriverError> {
    return parseLease(DRIVER, "release", lease).asyncAndThen(() =>
      this.#run("release", () => {
        const held = readLease(this.#lockPath(lease.key));
        if (held?.token === lease.token) this.#removeIf(lease.key, (found) => found.token === lease.token);
        return ok(undefined);
      }),
    );
  }

  /** The current lease on `key` and whether it is stale, or `null`. */
  inspect(key: string): ResultAsync<LeaseStatus | null, DriverError> {
    return parseLockKey(DRIVER, "inspect", key).asyncAndThen(() =>
      this.#run("inspect", () => {
        const held = readLease(this.#lockPath(key));
        return ok(held ? { lease: held, stale: isStale(held, this.#now()) } : null);
      }),
    );
  }

  /** Removes an expired lease and returns it; `conflict` when it is live, `not_found` when there is none. */
  breakStale(key: string): ResultAsync<Lease, DriverError> {
    return parseLockKey(DRIVER, "breakStale", key).asyncAndThen(() =>
      this.#run("breakStale", () => {
        const held = readLease(this.#lockPath(key));
        if (!held) return err(notLockedError(DRIVER, key));
        if (!isStale(held, this.#now())) return err(heldError(DRIVER, "breakStale", held, false));
        const broken = this.#removeIf(key, (found) => found.token === held.token);
        return broken
          ? ok(broken)
          : err(
              driverError({
                driver: DRIVER,
                op: "breakStale",
                reason: "conflict",
                message: `the lease on ${key} changed while it was being broken: inspect it again`,
              }),
            );
      }),
    );
  }
}
