import {
  closeSync,
  fstatSync,
  fsyncSync,
  openSync,
  readFileSync,
  statSync,
  truncateSync,
  writeSync,
} from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { err, errAsync, ok, okAsync, type Result, ResultAsync } from "neverthrow";
import { type DriverError, driverError } from "../errors/driver-error";
import { fsyncDirSync } from "../fs/fsync-dir";
import { ensurePrivateDirSync, makePrivateSync, PRIVATE_FILE_MODE } from "../fs/private-dir";
import type { AppendOptions, Journal, JournalRecord } from "../ports/journal";
import type { Fence } from "../ports/lease-lock";
import { runIdSchema } from "../runner/run-id";
import { type FenceAuthority, fenceRefusal } from "./fence-check";
import { checkRunId, encodeRecord, scanJournal } from "./journal-records";

const DRIVER = "file-journal";
const EXT = ".jsonl";

/** Options for {@link FileJournal}. */
export interface FileJournalOptions {
  /**
   * The directory holding one `<runId>.jsonl` file per run, created 0700 on first append
   * (an existing one of this user is tightened to 0700, another user's is refused); files are 0600.
   */
  readonly dir: string;
  /**
   * The lock whose leases fence this journal (the run's `FileLeaseLock` on the same
   * machine): an append made under a fence that is no longer the current lease on its
   * key is refused (`conflict`, `details.fenced`). Appends without a fence are not checked.
   */
  readonly fencedBy?: FenceAuthority;
}

function ioError(op: string, path: string, cause: unknown): DriverError {
  const code = (cause as NodeJS.ErrnoException)?.code;
  return driverError({
    driver: DRIVER,
    op,
    reason:
      code === "ENOENT"
        ? "not_found"
        : code === "EACCES" || code === "EPERM"
          ? "unauthorized"
          : "unavailable",
    message: `${op} ${path}: ${(cause as Error)?.message ?? String(cause)}`,
    hint: "check the journal directory (disk full, permissions); then resume the run",
    cause,
  });
}

/** A file's text, or `undefined` when it does not exist. */
function readIfExists(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
}

/** Writes all of `bytes` to `fd`. */
function writeAll(fd: number, bytes: Buffer): void {
  for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at);
}

/**
 * The durable journal: one JSONL file per run in a directory, one line per record,
 * fsync'd before `append` returns (a `sync: false` record is written, and fsync'd with
 * the next synced one; a run's file stays open from its first append here until its
 * `plan.finished`). Appends are synchronous system calls: a record is a few hundred
 * bytes and sometimes an fsync, which on a busy machine costs less than a thread-pool
 * round trip per record on the run's critical path. Reading tolerates a torn last line
 * (a crash during an append that never returned); the next append cuts that tail off
 * first. Appends must come in `seq` order (`conflict` otherwise): before each append the
 * file's size is compared with what this instance last left, and a file another writer
 * grew meanwhile is read again, so a stale writer's record at a `seq` already used is
 * refused instead of written. With `fencedBy`, a fenced append is also refused once its
 * lease is no longer current. Both checks precede the write in the same synchronous
 * call, so within one process nothing comes between; across processes the lease keeps
 * writers apart and these checks catch the writer that outlived its lease.
 */
export class FileJournal implements Journal {
  readonly name = "file";
  readonly #dir: string;
  /** Next expected seq per run, known once this instance has appended to it. */
  readonly #next = new Map<string, number>();
  /** Appends to one run are serialised. */
  readonly #queues = new Map<string, Promise<unknown>>();
  /** Each run's file, kept open from its first append here until its `plan.finished`. */
  readonly #handles = new Map<string, number>();
  /** Runs whose new file's directory entry is not fsync'd yet (created by an unsynced append). */
  readonly #dirPending = new Set<string>();
  /** Each run's file size in bytes after this instance's last append (another writer's append changes it). */
  readonly #sizes = new Map<string, number>();
  readonly #fencedBy: FenceAuthority | undefined;

  /** A journal writing into `options.dir`, fenced by `options.fencedBy` when given. */
  constructor(options: FileJournalOptions) {
    this.#dir = resolve(options.dir);
    this.#fencedBy = options.fencedBy;
  }

  /** The file holding a run's records. */
  pathOf(runId: string): string {
    return join(this.#dir, `${runId}${EXT}`);
  }

  /** Appends one record and fsyncs it (and the directory, for a new file) unless `options.sync` is false. */
  append(runId: string, record: JournalRecord, options: AppendOptions = {}): ResultAsync<void, DriverError> {
    const id = checkRunId(DRIVER, "append", runId);
    if (id.isErr()) return errAsync(id.error);
    const line = encodeRecord(DRIVER, record);
    if (line.isErr()) return errAsync(line.error);
    const previous = this.#queues.get(runId) ?? Promise.resolve();
    const last = record.event?.type === "plan.finished";
    const work = previous.then(() =>
      this.#append(runId, record.seq, line.value, { sync: options.sync ?? true, last, fence: options.fence }),
    );
    this.#queues.set(
      runId,
      work.catch(() => undefined),
    );
    return new ResultAsync(work);
  }

  /** The run file's size now, or `undefined` when it does not exist. */
  #sizeNow(runId: string): number | undefined {
    const fd = this.#handles.get(runId);
    if (fd !== undefined) return fstatSync(fd).size;
    try {
      return statSync(this.pathOf(runId)).size;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw e;
    }
  }

  #append(
    runId: string,
    seq: number,
    line: string,
    how: { sync: boolean; last: boolean; fence: Fence | undefined },
  ): Result<void, DriverError> {
    const path = this.pathOf(runId);
    try {
      const fenced = fenceRefusal(DRIVER, runId, this.#fencedBy, how.fence);
      if (fenced) return err(fenced);
      let created = false;
      let expected = this.#next.get(runId);
      if (expected !== undefined && this.#sizeNow(runId) !== this.#sizes.get(runId)) expected = undefined;
      if (expected === undefined) {
        ensurePrivateDirSync(this.#dir);
        const text = readIfExists(path);
        created = text === undefined;
        const scan = scanJournal(text ?? "");
        if (scan.corruptLine !== undefined) {
          return err(this.#corrupt("append", path, scan.corruptLine));
        }
        const intactBytes = Buffer.byteLength(text?.slice(0, scan.intactLength) ?? "", "utf8");
        if (text !== undefined && scan.intactLength < text.length) truncateSync(path, intactBytes);
        expected = scan.records.length;
        this.#next.set(runId, expected);
        this.#sizes.set(runId, intactBytes);
      }
      if (seq !== expected) {
        return err(
          driverError({
            driver: DRIVER,
            op: "append",
            reason: "conflict",
            message: `run ${runId}: expected record ${expected}, got ${seq} (another writer, or a stale runner)`,
          }),
        );
      }
      let fd = this.#handles.get(runId);
      if (fd === undefined) {
        fd = openSync(path, "a", PRIVATE_FILE_MODE);
        this.#handles.set(runId, fd);
        makePrivateSync(fd);
      }
      const bytes = Buffer.from(line, "utf8");
      writeAll(fd, bytes);
      this.#sizes.set(runId, (this.#sizes.get(runId) ?? 0) + bytes.length);
      if (!how.sync) {
        if (created) this.#dirPending.add(runId);
      } else {
        fsyncSync(fd);
        if (created || this.#dirPending.delete(runId)) fsyncDirSync(this.#dir);
      }
      this.#next.set(runId, seq + 1);
      if (how.last) this.#release(runId);
      return ok(undefined);
    } catch (cause) {
      this.#next.delete(runId);
      this.#sizes.delete(runId);
      try {
        this.#release(runId);
      } catch {
        // The append's own failure is the one to report.
      }
      return err(ioError("append", path, cause));
    }
  }

  /** Closes the run's open file (after its last record, or a failed append). */
  #release(runId: string): void {
    const fd = this.#handles.get(runId);
    this.#handles.delete(runId);
    if (fd !== undefined) closeSync(fd);
  }

  #corrupt(op: string, path: string, line: number): DriverError {
    return driverError({
      driver: DRIVER,
      op,
      reason: "failed",
      message: `${path}: line ${line} is unreadable and is not the last line: the journal is corrupt`,
      hint: "keep the file for the postmortem; check the run by hand",
    });
  }

  /** A run's intact records in order (a torn last line is left out); `not_found` for an unknown run. */
  read(runId: string): ResultAsync<JournalRecord[], DriverError> {
    const id = checkRunId(DRIVER, "read", runId);
    if (id.isErr()) return errAsync(id.error);
    const path = this.pathOf(runId);
    return ResultAsync.fromPromise(readFile(path, "utf8"), (cause) => ioError("read", path, cause)).andThen(
      (text) => {
        const scan = scanJournal(text);
        return scan.corruptLine === undefined
          ? okAsync(scan.records)
          : errAsync(this.#corrupt("read", path, scan.corruptLine));
      },
    );
  }

  /** Ids of every run with a journal file, sorted (run ids are time-ordered). */
  list(): ResultAsync<string[], DriverError> {
    return ResultAsync.fromPromise(
      readdir(this.#dir).catch((e: NodeJS.ErrnoException) => {
        if (e.code === "ENOENT") return [] as string[];
        throw e;
      }),
      (cause) => ioError("list", this.#dir, cause),
    ).map((names) =>
      names
        .filter((n) => n.endsWith(EXT))
        .map((n) => n.slice(0, -EXT.length))
        .filter((id) => runIdSchema.safeParse(id).success)
        .sort(),
    );
  }
}
