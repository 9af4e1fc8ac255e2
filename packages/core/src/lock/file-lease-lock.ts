import { randomBytes } from "node:crypto";
import { closeSync, linkSync, openSync, readdirSync, readFileSync, renameSync, unlinkSync } from "node:fs";
import { hostname } from "node:os";
import { join, resolve } from "node:path";
import { err, errAsync, ok, type Result, ResultAsync } from "neverthrow";
import * as z from "zod";
import { type DriverError, driverError } from "../errors/driver-error";
import { fsyncDirSync } from "../fs/fsync-dir";
import { ensurePrivateDirSync, PRIVATE_FILE_MODE } from "../fs/private-dir";
import { writeSynced } from "../fs/write-synced";
import type { Lease, LeaseLock, LeaseStatus } from "../ports/lease-lock";
import { lazySchema } from "../validate/lazy-schema";
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

/** What a renewal writes into its token's fence marker. */
const renewalSchema = lazySchema(() => z.object({ expiresAt: z.string() }));

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

/** The expiry a renewal wrote into a token's marker, or `undefined` (never renewed, or gone). */
function readRenewal(path: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    if (code(e) === "ENOENT") return undefined;
    throw e;
  }
  if (text.length === 0) return undefined;
  const parsed = renewalSchema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new Error(`${path} is not a fence marker; inspect and remove it by hand`);
  return parsed.data.expiresAt;
}

function maxMarker(dir: string): number {
  const names = readdirSync(dir);
  return names.reduce((max, n) => (/^\d+$/.test(n) ? Math.max(max, Number(n)) : max), 0);
}

/**
 * A lease lock on the local file system, safe across processes on one machine.
 *
 * - `<key>.lock` holds the grant as JSON (owner, token, times). It is published with
 *   `link(2)` from a complete, fsync'd temp file: creation is atomic and exclusive,
 *   so of two racers exactly one wins. A renewal never writes it.
 * - Fencing tokens come from `<key>.fence/`: each token is an exclusively created
 *   marker file `N`, taken only when `N` is the largest marker. Markers are never
 *   deleted below the largest one, so tokens grow per key forever, also across breaks
 *   and releases; a winner whose token was overtaken before it linked takes a fresh one.
 * - Renew is a compare-and-swap against the latest grant: the holder of token `N`
 *   writes its new expiry into marker `N` (which no other holder ever writes), then
 *   reads `<key>.lock` again and succeeds only if it still holds token `N`. A break
 *   moves the lock file aside *before* it reads the expiry to decide the lease is
 *   stale, so either the break sees the renewal (and puts the lease back) or the
 *   renewal's second read sees the lease gone or replaced (and answers `conflict`): a
 *   renewal can never bring an old grant back over a newer one. The lease's expiry is
 *   the marker's when it was renewed, the lock file's otherwise.
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
  /** `file:<host>:<dir>`: its tokens are ordered only against this directory's on this machine. */
  readonly issuer: string;
  readonly #dir: string;
  readonly #now: () => Date;

  /** A lock keeping its files in `options.dir`. */
  constructor(options: FileLeaseLockOptions) {
    this.#dir = resolve(options.dir);
    this.issuer = `file:${hostname()}:${this.#dir}`;
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

  #markerPath(key: string, token: number) {
    return join(this.#dir, `${key}.fence`, String(token));
  }

  /** `grant` with the expiry of its latest renewal. */
  #withRenewal(grant: Lease): Lease {
    const renewed = readRenewal(this.#markerPath(grant.key, grant.token));
    return renewed ? { ...grant, expiresAt: renewed } : grant;
  }

  /** The grant in `<key>.lock` with the expiry of its latest renewal, or `undefined`. */
  #current(key: string): Lease | undefined {
    const grant = readLease(this.#lockPath(key));
    return grant && this.#withRenewal(grant);
  }

  /**
   * The fencing token of the lease now on `key`, or `undefined` when there is none (a
   * journal fenced by this lock asks it before each append). Throws on I/O errors.
   */
  currentToken(key: string): number | undefined {
    return readLease(this.#lockPath(key))?.token;
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
        const held = this.#current(key);
        if (held) return err(heldError(DRIVER, "acquire", held, isStale(held, this.#now())));
        let lease = newLease(key, owner, this.#nextToken(key), this.#now(), ttlMs);
        const temp = this.#temp(key);
        writeSynced(temp, JSON.stringify(lease), "wx");
        try {
          linkSync(temp, path);
        } catch (e) {
          if (code(e) !== "EEXIST") throw e;
          const winner = this.#current(key);
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

  /**
   * Extends the lease when it is still the current one (same token), as a
   * compare-and-swap: writes the new expiry into the token's marker, then checks the
   * grant is still this token's; `conflict` when it was lost.
   */
  renew(lease: Lease, ttlMs: number): ResultAsync<Lease, DriverError> {
    return parseRenew(DRIVER, lease, ttlMs).asyncAndThen((ttl) =>
      this.#run("renew", () => {
        const held = this.#current(lease.key);
        if (held?.token !== lease.token) return err(lostError(DRIVER, lease, held));
        const renewed = newLease(held.key, held.owner, held.token, this.#now(), ttl, held.acquiredAt);
        const marker = this.#markerPath(lease.key, lease.token);
        const temp = this.#temp(lease.key);
        writeSynced(temp, JSON.stringify({ expiresAt: renewed.expiresAt }), "wx");
        renameSync(temp, marker);
        fsyncDirSync(join(this.#dir, `${lease.key}.fence`));
        const after = this.#current(lease.key);
        return after?.token === lease.token ? ok(renewed) : err(lostError(DRIVER, lease, after));
      }),
    );
  }

  /** Releases the lease if it is still the current one; a lease already gone is fine. */
  release(lease: Lease): ResultAsync<void, DriverError> {
    return parseLease(DRIVER, "release", lease).asyncAndThen(() =>
      this.#run("release", () => {
        if (this.currentToken(lease.key) === lease.token)
          this.#removeIf(lease.key, (found) => found.token === lease.token);
        return ok(undefined);
      }),
    );
  }

  /** The current lease on `key` and whether it is stale, or `null`. */
  inspect(key: string): ResultAsync<LeaseStatus | null, DriverError> {
    return parseLockKey(DRIVER, "inspect", key).asyncAndThen(() =>
      this.#run("inspect", () => {
        const held = this.#current(key);
        return ok(held ? { lease: held, stale: isStale(held, this.#now()) } : null);
      }),
    );
  }

  /** Removes an expired lease and returns it; `conflict` when it is live, `not_found` when there is none. */
  breakStale(key: string): ResultAsync<Lease, DriverError> {
    return parseLockKey(DRIVER, "breakStale", key).asyncAndThen(() =>
      this.#run("breakStale", () => {
        const held = this.#current(key);
        if (!held) return err(notLockedError(DRIVER, key));
        if (!isStale(held, this.#now())) return err(heldError(DRIVER, "breakStale", held, false));
        // Stale again once moved aside: a renewal that landed meanwhile keeps its lease.
        const broken = this.#removeIf(
          key,
          (found) => found.token === held.token && isStale(this.#withRenewal(found), this.#now()),
        );
        return broken
          ? ok(this.#withRenewal(broken))
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
