import { closeSync, fsyncSync, openSync, writeFileSync } from "node:fs";
import { PRIVATE_FILE_MODE } from "./private-dir";

/**
 * Writes `text` to `path` opened with `flag` (`"wx"` to create exclusively, `"a"` to
 * append) and fsyncs it before returning: synchronous system calls, for the few small
 * writes whose thread-pool round trips would cost more than the calls themselves. A file
 * it creates is 0600 (SDK state).
 */
export function writeSynced(path: string, text: string, flag: "wx" | "a"): void {
  const fd = openSync(path, flag, PRIVATE_FILE_MODE);
  try {
    writeFileSync(fd, text, "utf8");
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
