import { constants, type Stats } from "node:fs";
import { open } from "node:fs/promises";
import { errAsync, okAsync, ResultAsync } from "neverthrow";
import type { DriverError } from "../errors/driver-error";

/** Why {@link readRegularFile} refused or failed; `message` names the file's kind or size, never its content. */
export interface FileReadRefusal {
  readonly reason: DriverError["reason"];
  readonly message: string;
}

const KINDS: [string, (s: Stats) => boolean][] = [
  ["a directory", (s) => s.isDirectory()],
  ["a character device", (s) => s.isCharacterDevice()],
  ["a block device", (s) => s.isBlockDevice()],
  ["a FIFO", (s) => s.isFIFO()],
  ["a socket", (s) => s.isSocket()],
];

const kindOf = (s: Stats) => KINDS.find(([, is]) => is(s))?.[0] ?? "not a regular file";

async function read(path: string, maxBytes: number): Promise<string | FileReadRefusal> {
  // O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below.
  const handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK).catch(
    (e: NodeJS.ErrnoException) => e,
  );
  if (!("fd" in handle)) {
    const reason =
      handle.code === "ENOENT" ? "not_found" : handle.code === "EACCES" ? "unauthorized" : "failed";
    return { reason, message: `cannot open it (${handle.code ?? "error"})` };
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) return { reason: "invalid_input", message: `it is ${kindOf(stat)}` };
    if (stat.size > maxBytes)
      return {
        reason: "invalid_input",
        message: `it holds ${stat.size} bytes, more than the limit of ${maxBytes}`,
      };
    // One byte more than the limit tells a file that grew since the stat.
    const buffer = Buffer.alloc(maxBytes + 1);
    let length = 0;
    while (length <= maxBytes) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    if (length > maxBytes)
      return { reason: "invalid_input", message: `it holds more than the limit of ${maxBytes} bytes` };
    try {
      return new TextDecoder("utf-8", { fatal: true }).decode(buffer.subarray(0, length));
    } catch {
      return { reason: "invalid_input", message: "it is not UTF-8 text" };
    }
  } finally {
    await handle.close();
  }
}

/**
 * Reads a regular file of UTF-8 text of at most `maxBytes`, for a path an operator gave
 * (the process may run as root). A directory, device, FIFO or socket, a larger file and
 * bytes that are not UTF-8 are refused (`invalid_input`) without reading them; a refusal
 * names what the path is or how large it is, never what it holds. Symbolic links are
 * followed, and the checks apply to the file they lead to.
 */
export function readRegularFile(path: string, maxBytes: number): ResultAsync<string, FileReadRefusal> {
  return ResultAsync.fromPromise(
    read(path, maxBytes),
    (cause): FileReadRefusal => ({
      reason: "failed",
      message: `cannot read it (${(cause as NodeJS.ErrnoException)?.code ?? "error"})`,
    }),
  ).andThen((r) => (typeof r === "string" ? okAsync(r) : errAsync(r)));
}
