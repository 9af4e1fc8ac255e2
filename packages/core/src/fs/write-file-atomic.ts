import { randomBytes } from "node:crypto";
import { link, open, rename, stat, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { ResultAsync } from "neverthrow";
import { type DriverError, driverError } from "../errors/driver-error";
import { fsyncDir } from "./fsync-dir";

/**
 * Replaces a local file atomically: a temp file in the same directory, fsync, rename
 * over `path`, fsync of the directory. Readers see the old or the new file, never a mix.
 * Keeps the target's mode unless `mode` is given (new files get 0644) and, when run as
 * root, its owner. With `only: "create"` the temp file is hard-linked to `path` instead
 * of renamed over it, so a file that exists (or appears meanwhile) is never replaced:
 * `EEXIST`. Rejects with the underlying `ErrnoException`.
 */
export async function replaceFileAtomically(
  path: string,
  data: string | Uint8Array,
  mode?: number,
  only?: "create",
): Promise<void> {
  const existing = await stat(path).catch((e: NodeJS.ErrnoException) => {
    if (e.code === "ENOENT") return undefined;
    throw e;
  });
  const finalMode = mode ?? (existing ? existing.mode & 0o7777 : 0o644);
  const dir = dirname(path);
  const temp = join(dir, `.${basename(path)}.${process.pid}-${randomBytes(4).toString("hex")}.tmp`);
  const handle = await open(temp, "wx", 0o600);
  try {
    try {
      await handle.writeFile(data);
      if (existing && process.getuid?.() === 0) await handle.chown(existing.uid, existing.gid);
      await handle.chmod(finalMode);
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (only === "create") {
      await link(temp, path);
      await unlink(temp);
    } else await rename(temp, path);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  await fsyncDir(dir);
}

/**
 * {@link replaceFileAtomically} as a `ResultAsync`: failures become a `DriverError`
 * from `driver` (`not_found` when the directory is missing, else `failed`).
 */
export function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  driver: string,
): ResultAsync<void, DriverError> {
  return ResultAsync.fromPromise(replaceFileAtomically(path, data), (cause) =>
    driverError({
      driver,
      op: "writeFileAtomic",
      reason: (cause as NodeJS.ErrnoException).code === "ENOENT" ? "not_found" : "failed",
      message: `cannot write ${path}: ${(cause as Error).message}`,
      cause,
    }),
  );
}
