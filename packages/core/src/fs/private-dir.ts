import { chmodSync, fchmodSync, fstatSync, mkdirSync, statSync } from "node:fs";

/** The mode of every state directory the SDK creates: owner only. */
export const PRIVATE_DIR_MODE = 0o700;
/** The mode of every state file the SDK creates (journal, lease, fence markers): owner only. */
export const PRIVATE_FILE_MODE = 0o600;

/**
 * Makes `dir` (and missing parents) a directory only its owner can use: created 0700; an
 * existing one owned by this process's user is tightened to 0700 (earlier versions made
 * it 0755); one owned by another user, writable by group or others, or sticky (`/tmp`) is
 * refused (`EPERM`): someone else could read or replace what is written there, and a
 * shared directory is not the SDK's to tighten. Throws an `ErrnoException`.
 */
export function ensurePrivateDirSync(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  const found = statSync(dir);
  if (!found.isDirectory()) throw errno("ENOTDIR", `${dir} is not a directory`);
  const uid = process.geteuid?.();
  if (uid !== undefined && found.uid !== uid) {
    throw errno(
      "EPERM",
      `${dir} belongs to uid ${found.uid}, not to this process (uid ${uid}): use a directory of its own`,
    );
  }
  const mode = found.mode & 0o7777;
  if (mode & 0o1022) {
    throw errno(
      "EPERM",
      `${dir} is shared (mode ${mode.toString(8)}: others can write or it is sticky): use a directory of its own`,
    );
  }
  if (mode !== PRIVATE_DIR_MODE) chmodSync(dir, PRIVATE_DIR_MODE);
}

/** Makes an open file owner-only (a file created before this version may be 0644). */
export function makePrivateSync(fd: number): void {
  if ((fstatSync(fd).mode & 0o7777) !== PRIVATE_FILE_MODE) fchmodSync(fd, PRIVATE_FILE_MODE);
}

function errno(code: string, message: string): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code });
}
