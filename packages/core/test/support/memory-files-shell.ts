import { errAsync, okAsync } from "neverthrow";
import { driverError } from "../../src/errors/driver-error";
import type { Shell } from "../../src/ports/shell";

/** A Shell whose `files` capability is an in-memory map of path → content; it runs no command. */
export interface MemoryFilesShell extends Shell {
  readonly fs: Map<string, string>;
}

/** A {@link MemoryFilesShell} located at a local place, starting with `initial` files. */
export function memoryFilesShell(initial: Record<string, string> = {}): MemoryFilesShell {
  const fs = new Map(Object.entries(initial));
  const missing = (path: string) =>
    driverError({
      driver: "memory",
      op: "files",
      reason: "not_found",
      message: `${path}: No such file or directory`,
    });
  return {
    name: "memory",
    location: { kind: "local" },
    fs,
    run: (argv) =>
      errAsync(driverError({ driver: "memory", op: "run", reason: "unsupported", message: argv.join(" ") })),
    files: {
      readFile: (path) => {
        const content = fs.get(path);
        return content === undefined ? errAsync(missing(path)) : okAsync(new TextEncoder().encode(content));
      },
      writeFileAtomic: (path, data) => {
        fs.set(path, typeof data === "string" ? data : new TextDecoder().decode(data));
        return okAsync(undefined);
      },
      rename: (from, to) => {
        const content = fs.get(from);
        if (content === undefined) return errAsync(missing(from));
        fs.delete(from);
        fs.set(to, content);
        return okAsync(undefined);
      },
      remove: (path) => {
        fs.delete(path);
        return okAsync(undefined);
      },
    },
  };
}
