import { randomBytes } from "node:crypto";
import { open, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { ResultAsync } from "neverthrow";
import { type DriverError, driverError } from "../errors/driver-error";

async function write(path: string, data: string | Uint8Array, mode: number | undefined): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(4).toString("hex")}.tmp`);
  const handle = await open(tmp, "wx", mode ?? 0o644);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } catch (cause) {
    await handle.close();
    await rm(tmp, { force: true });
    throw cause;
  }
  await handle.close();
  try {
    await rename(tmp, path);
  } catch (cause) {
    await rm(tmp, { force: true });
    throw cause;
  }
  const dir = await open(dirname(path), "r");
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

/**
 * Replaces a local file atomically: a temp file in the same directory, fsync, rename
 * over `path`, fsync of the directory. Readers see the old or the new file, never a mix.
 */
export function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  driver: string,
  options: { mode?: number } = {},
): ResultAsync<void, DriverError> {
  return ResultAsync.fromPromise(write(path, data, options.mode), (cause) =>
    driverError({
      driver,
      op: "writeFileAtomic",
      reason: (cause as NodeJS.ErrnoException).code === "ENOENT" ? "not_found" : "failed",
      message: `cannot write ${path}: ${(cause as Error).message}`,
      cause,
    }),
  );
}
