import { randomBytes } from "node:crypto";
import { mkdir, open, rename, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { type DriverError, driverError } from "@backflip/core";
import { ResultAsync } from "neverthrow";

async function replace(path: string, data: string): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const temp = join(dir, `.${basename(path)}.${randomBytes(4).toString("hex")}.tmp`);
  const handle = await open(temp, "wx", 0o600);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temp, path);
  } catch (cause) {
    await unlink(temp).catch(() => undefined);
    throw cause;
  }
  const d = await open(dir, "r");
  try {
    await d.sync();
  } finally {
    await d.close();
  }
}

/** Writes `data` to `path` atomically: a complete, fsync'd temp file in the same directory, renamed over it. */
export function writeFileAtomic(path: string, data: string): ResultAsync<void, DriverError> {
  return ResultAsync.fromPromise(replace(path, data), (cause) =>
    driverError({
      driver: "rollback-cli",
      op: "write",
      reason: "unavailable",
      message: `cannot write ${path}: ${(cause as Error).message}`,
      hint: "check the state directory (permissions, disk full)",
      cause,
    }),
  );
}
