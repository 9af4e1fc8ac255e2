import { closeSync, fsync, fsyncSync, openSync } from "node:fs";
import { promisify } from "node:util";

/** Fsyncs an open file on the thread pool (it waits for the disk). */
export const fsyncFd: (fd: number) => Promise<void> = promisify(fsync);

/**
 * Fsyncs a directory, so a file created, renamed or removed in it survives a crash. Only
 * the fsync runs on the thread pool: the open and close are direct system calls
 * (microseconds; a thread-pool round trip each cost more on a loaded machine).
 */
export async function fsyncDir(dir: string): Promise<void> {
  const fd = openSync(dir, "r");
  try {
    await fsyncFd(fd);
  } finally {
    closeSync(fd);
  }
}

/** {@link fsyncDir} as synchronous system calls. */
export function fsyncDirSync(dir: string): void {
  const fd = openSync(dir, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
