import { randomBytes } from "node:crypto";
import { errAsync, okAsync, ResultAsync } from "neverthrow";
import type { DriverError } from "../errors/driver-error";
import type { ExecLocation } from "../plan/action";
import { locationOf } from "../plan/location-of";
import type { Shell, ShellResult } from "../ports/shell";
import { type DriverErrorBuilder, driverErrorFor } from "./driver-error-for";

/** The directory part of an absolute path. */
export function dirOf(path: string): string {
  const i = path.lastIndexOf("/");
  return i <= 0 ? "/" : path.slice(0, i);
}

/** The last part of a path. */
export function baseOf(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

/** Classifies a failed command from its stderr: the reasons an operator acts on differently. */
export function commandFailure(
  fail: DriverErrorBuilder,
  op: string,
  what: string,
  shell: Shell,
  result: ShellResult,
  hint?: string,
): DriverError {
  const stderr = result.stderr.trim() || result.stdout.trim() || "(no output)";
  const reason = /No such file or directory/i.test(stderr)
    ? "not_found"
    : /Permission denied|Operation not permitted|Read-only file system/i.test(stderr)
      ? "unauthorized"
      : "failed";
  const ending = result.exitCode === null ? `ended on ${result.signal}` : `exited ${result.exitCode}`;
  return fail(op, reason, `\`${what}\` on ${shell.name} ${ending}: ${stderr.slice(-2000)}`, {
    ...(hint ? { hint } : {}),
    details: { exitCode: result.exitCode, shell: shell.name },
  });
}

/** Options of {@link RemoteFiles}. */
export interface RemoteFilesOptions {
  /** The driver whose errors failures become, e.g. `nginx`. */
  readonly driver: string;
  /** Each command is killed after this many milliseconds (default 30000). */
  readonly timeoutMs?: number;
}

/**
 * File access on a proxy's host through its {@link Shell}: the Shell's `files`
 * capability when it has one (and its rename/link/remove when offered), otherwise plain
 * commands (`cat`, `dd conv=fsync`, `mv`, `sync`, `ln`, `rm`) that exist in any busybox.
 * Never assumes the files are local. Failures are errors of the driver it is given.
 */
export class RemoteFiles {
  readonly #shell: Shell;
  readonly #timeoutMs: number;
  /** Builds the errors of the driver these files belong to. */
  readonly fail: DriverErrorBuilder;
  /** Where the files and commands are, for dry runs. */
  readonly location: ExecLocation;

  /** Files reached through `shell`. */
  constructor(shell: Shell, options: RemoteFilesOptions) {
    this.#shell = shell;
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    this.fail = driverErrorFor(options.driver);
    this.location = locationOf(shell);
  }

  /** Runs `argv`; a non-zero exit becomes a classified error. */
  run(
    op: string,
    argv: readonly string[],
    options: { stdin?: string; hint?: string; outputOnlyOnFailure?: boolean } = {},
  ): ResultAsync<ShellResult, DriverError> {
    const { hint, stdin, outputOnlyOnFailure } = options;
    return this.#shell
      .run(argv, {
        timeoutMs: this.#timeoutMs,
        ...(stdin === undefined ? {} : { stdin }),
        ...(outputOnlyOnFailure ? { outputOnlyOnFailure } : {}),
      })
      .andThen((result) =>
        result.exitCode === 0
          ? okAsync(result)
          : errAsync(commandFailure(this.fail, op, argv.join(" "), this.#shell, result, hint)),
      );
  }

  /** Runs `argv` for its exit status only (its output is read only when it fails). */
  check(
    op: string,
    argv: readonly string[],
    options: { stdin?: string; hint?: string } = {},
  ): ResultAsync<void, DriverError> {
    return this.run(op, argv, { ...options, outputOnlyOnFailure: true }).map(() => undefined);
  }

  /**
   * Reads a whole file as UTF-8; `null` when it does not exist. Kernel pseudo-files
   * (`/proc`, `/sys`) are always read with `cat`: they report size 0, and file APIs that
   * trust the size (Incus's) return them empty.
   */
  read(path: string, op: string): ResultAsync<string | null, DriverError> {
    const pseudo = path.startsWith("/proc/") || path.startsWith("/sys/");
    const files = pseudo ? undefined : this.#shell.files;
    const read: ResultAsync<string, DriverError> = files
      ? files.readFile(path).map((bytes) => new TextDecoder().decode(bytes))
      : this.run(op, ["cat", "--", path]).map((r) => r.stdout);
    // Missing only when the error is about this file (not, say, a wrapper that could not start).
    return read.orElse((e) =>
      e.reason === "not_found" && (files !== undefined || e.message.includes(path))
        ? okAsync(null)
        : errAsync({ ...e, op, message: `reading ${path}: ${e.message}` }),
    );
  }

  /** Replaces `path` atomically: a temp file in the same directory, fsync, rename, fsync of the directory. */
  writeAtomic(path: string, content: string, op: string): ResultAsync<void, DriverError> {
    // The Shell's own files write atomically already.
    if (this.#shell.files) return this.writeFile(path, content, op);
    const temp = this.tempPath(path, randomBytes(6).toString("hex"), "tmp");
    return this.writeFile(temp, content, op)
      .andThen(() => this.rename(temp, path, op))
      .orElse((e) => this.remove(temp, op).andThen(() => errAsync(e)));
  }

  /** Writes (and fsyncs) a file that is not live yet, e.g. a candidate config. */
  writeFile(path: string, content: string, op: string): ResultAsync<void, DriverError> {
    const files = this.#shell.files;
    if (files) {
      return files
        .writeFileAtomic(path, content)
        .mapErr((e) => ({ ...e, op, message: `writing ${path}: ${e.message}` }));
    }
    return this.check(op, ["dd", `of=${path}`, "conv=fsync"], { stdin: content });
  }

  /**
   * Writes a new file nobody reads until a rename in its directory publishes it (a
   * candidate): with the Shell's `writeNewFile` when it has one (the data fsync'd, not the
   * directory: the rename's fsync makes the name durable), else as {@link writeFile}.
   */
  writeNew(path: string, content: string, op: string): ResultAsync<void, DriverError> {
    const files = this.#shell.files;
    if (!files?.writeNewFile) return this.writeFile(path, content, op);
    return files
      .writeNewFile(path, content)
      .mapErr((e) => ({ ...e, op, message: `writing ${path}: ${e.message}` }));
  }

  /**
   * Renames `from` over `to` (same directory: atomic): through the Shell's `files` when it
   * can rename (one round trip, no exec), else `mv` then an fsync of the directory.
   */
  rename(from: string, to: string, op: string): ResultAsync<void, DriverError> {
    const files = this.#shell.files;
    if (files?.rename) {
      return files
        .rename(from, to)
        .mapErr((e) => ({ ...e, op, message: `renaming ${from} over ${to}: ${e.message}` }));
    }
    return this.check(op, ["mv", "-f", "--", from, to]).andThen(() =>
      this.check(op, ["sync", "--", dirOf(to)]),
    );
  }

  /**
   * Makes `to` (same directory) hold what `from` holds, which is `content`, without a
   * rewrite where the Shell allows: a hard link through its `files` (no process), else
   * `ln -f` when it has no `files`, else (or when linking fails) an atomic write of
   * `content`. Like a file renamed in the same directory, it is durable once the next
   * rename there is.
   */
  linkOrCopy(from: string, to: string, content: string, op: string): ResultAsync<void, DriverError> {
    const files = this.#shell.files;
    const copy = () => this.writeAtomic(to, content, op);
    if (files?.link) return files.link(from, to).orElse(copy);
    if (files) return copy();
    return this.check(op, ["ln", "-f", "--", from, to]).orElse(copy);
  }

  /** Removes a file if it exists. */
  remove(path: string, op: string): ResultAsync<void, DriverError> {
    const files = this.#shell.files;
    if (files?.remove) return files.remove(path).mapErr((e) => ({ ...e, op }));
    return this.check(op, ["rm", "-f", "--", path]);
  }

  /**
   * Removes the hidden siblings of `path` this SDK writes (`.<name>.backflip-…`) that are
   * older than `olderThanMs`, except `keep`: what a run left when it ended before using
   * them (a candidate validated by a run that was then refused or killed, a temp file of
   * an interrupted write). Needs the Shell's `list` (nothing is swept without it); never
   * fails: what cannot be removed now is swept next time.
   */
  sweepTemps(path: string, olderThanMs: number, keep: string): ResultAsync<void, never> {
    const files = this.#shell.files;
    if (!files?.list) return okAsync(undefined);
    const dir = dirOf(path);
    const prefix = `.${baseOf(path)}.backflip-`;
    const cutoff = Date.now() - olderThanMs;
    return files
      .list(dir)
      .andThen((entries) =>
        ResultAsync.combine(
          entries
            .filter((e) => e.name.startsWith(prefix) && e.mtimeMs !== null && e.mtimeMs < cutoff)
            .map((e) => `${dir}/${e.name}`)
            .filter((stale) => stale !== keep)
            .map((stale) => this.remove(stale, "sweep")),
        ),
      )
      .map(() => undefined)
      .orElse(() => okAsync(undefined));
  }

  /** A hidden sibling of `path`: `.<name>.backflip-<tag>.<suffix>`. */
  tempPath(path: string, tag: string, suffix: string): string {
    return `${dirOf(path)}/.${baseOf(path)}.backflip-${tag}.${suffix}`;
  }
}
