import { readFile } from "node:fs/promises";
import { ResultAsync } from "neverthrow";
import { z } from "zod";
import { type DriverError, driverError } from "../errors/driver-error";
import { replaceFileAtomically } from "../fs/write-file-atomic";
import type { ShellFiles } from "../ports/shell";
import { parseInput } from "../validate/parse-input";
import { absolutePathSchema } from "../validate/schemas";

const DRIVER = "local-shell";

const writeSchema = z.object({
  path: absolutePathSchema,
  data: z.union([z.string(), z.instanceof(Uint8Array)], { error: "data must be a string or bytes" }),
  options: z
    .object({ mode: z.number().int().min(0).max(0o7777, "mode must be at most 0o7777").optional() })
    .optional(),
});

/**
 * {@link ShellFiles} on this machine: whole-file reads, and atomic writes (a temp file in
 * the same directory, fsync, rename over the target, fsync of the directory) that keep
 * the target's mode — and, when run as root, its owner.
 */
export class LocalShellFiles implements ShellFiles {
  /** Reads a whole file; `not_found` when it does not exist. */
  readFile(path: string): ResultAsync<Uint8Array, DriverError> {
    return parseInput(absolutePathSchema, path, { driver: DRIVER, op: "readFile" })
      .asyncAndThen((p) =>
        ResultAsync.fromPromise(readFile(p), (e) => fileError("readFile", p, e as NodeJS.ErrnoException)),
      )
      .map((buffer) => new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength));
  }

  /** Replaces `path` atomically; keeps its mode unless `options.mode` is given (new files get 0644). */
  writeFileAtomic(
    path: string,
    data: string | Uint8Array,
    options?: { mode?: number },
  ): ResultAsync<void, DriverError> {
    return parseInput(
      writeSchema,
      { path, data, options },
      { driver: DRIVER, op: "writeFileAtomic" },
    ).asyncAndThen((input) =>
      ResultAsync.fromPromise(replaceFileAtomically(input.path, input.data, input.options?.mode), (e) =>
        fileError("writeFileAtomic", input.path, e as NodeJS.ErrnoException),
      ),
    );
  }
}

function fileError(op: string, path: string, error: NodeJS.ErrnoException): DriverError {
  const base = { driver: DRIVER, op, details: { path, code: error.code }, cause: error };
  switch (error.code) {
    case "ENOENT":
      return driverError({
        ...base,
        reason: "not_found",
        message: op === "readFile" ? `${path} does not exist` : `the directory of ${path} does not exist`,
      });
    case "EACCES":
    case "EPERM":
      return driverError({
        ...base,
        reason: "unauthorized",
        message: `${op} ${path}: permission denied (${error.code})`,
        hint: "run as a user who may write there, or fix the file's owner and mode",
      });
    default:
      return driverError({ ...base, reason: "failed", message: `${op} ${path}: ${error.message}` });
  }
}
