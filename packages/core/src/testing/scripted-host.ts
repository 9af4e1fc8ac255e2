import { posix } from "node:path";
import { errAsync, okAsync } from "neverthrow";
import { driverError } from "../errors/driver-error";
import type { ExecLocation } from "../plan/action";
import type { ShellFiles, ShellRunOptions } from "../ports/shell";
import { type RecordingShell, recordingShell, type ShellAnswer } from "./recording-shell";

/** One file of a {@link ScriptedHost}. */
export interface MemoryFile {
  readonly data: Uint8Array;
  readonly mode: number;
  readonly mtimeMs: number;
}

/** One use of a host's `files` capability, in order. */
export interface FileOp {
  readonly op: "read" | "write" | "rename" | "link" | "remove" | "list";
  readonly path: string;
  readonly to?: string;
}

/** What a {@link HostProgram} is given for one call. */
export interface ProgramCall {
  /** The whole argv; `argv[0]` is the program's name. */
  readonly argv: readonly string[];
  /** stdin decoded as UTF-8 (empty without one). */
  readonly stdin: string;
  readonly options: ShellRunOptions | undefined;
  /** The host, to read and write its files. */
  readonly host: ScriptedHost;
}

/** A program of a scripted host, as a function of its call. */
export type HostProgram = (call: ProgramCall) => ShellAnswer;

/** Options of {@link scriptedHost}. */
export interface ScriptedHostOptions {
  /** Its name (default `scripted-host`). */
  readonly name?: string;
  /** Where it claims its commands run (for dry runs). */
  readonly location?: ExecLocation;
  /** Its files at the start, by absolute path (mode 0644). */
  readonly files?: Readonly<Record<string, string | Uint8Array>>;
  /** Its programs by name; they replace the built-in `cat`, `dd`, `mv`, `ln`, `rm` and `sync`. */
  readonly programs?: Readonly<Record<string, HostProgram>>;
  /**
   * Offer the Shell `files` capability (default true). With `false` a driver must use its
   * command fallback, which the built-in programs serve from the same files.
   */
  readonly fileApi?: boolean;
}

/**
 * A {@link RecordingShell} over an in-memory file system: a proxy's or a database's host
 * as a driver sees it, with no process started. Unknown programs exit 127.
 */
export interface ScriptedHost extends RecordingShell {
  /** The host's files by absolute path. */
  readonly fs: Map<string, MemoryFile>;
  /** Every use of the `files` capability so far. */
  readonly fileOps: FileOp[];
  /** A file's content as UTF-8, `undefined` when it does not exist. */
  text(path: string): string | undefined;
  /** Creates or replaces a file (keeping its mode unless one is given). */
  write(path: string, data: string | Uint8Array, mode?: number): void;
}

const missing = (program: string, path: string): ShellAnswer => ({
  exitCode: 1,
  stderr: `${program}: ${path}: No such file or directory\n`,
});

/** The operands of a command: its arguments without options (everything after `--` counts). */
function operands(argv: readonly string[]): string[] {
  const dash = argv.indexOf("--");
  if (dash >= 0) return [...argv.slice(1, dash).filter((a) => !a.startsWith("-")), ...argv.slice(dash + 1)];
  return argv.slice(1).filter((a) => !a.startsWith("-"));
}

/** The file commands a driver's fallback runs (as in busybox): `cat`, `dd of=`, `mv`, `ln -f`, `rm`, `sync`. */
const BUILTINS: Readonly<Record<string, HostProgram>> = {
  cat: ({ argv, stdin, host }) => {
    const paths = operands(argv);
    if (paths.length === 0) return { stdout: stdin };
    const absent = paths.find((p) => !host.fs.has(p));
    return absent === undefined
      ? { stdout: paths.map((p) => host.text(p)).join("") }
      : missing("cat", absent);
  },
  dd: ({ argv, stdin, options, host }) => {
    const target = argv.find((a) => a.startsWith("of="))?.slice(3);
    if (target === undefined) return { stdout: stdin };
    host.write(target, options?.stdin ?? "");
    return {};
  },
  mv: ({ argv, host }) => {
    const [from, to] = operands(argv);
    const file = from === undefined ? undefined : host.fs.get(from);
    if (from === undefined || to === undefined || file === undefined) return missing("mv", from ?? "");
    host.fs.delete(from);
    host.fs.set(to, file);
    return {};
  },
  ln: ({ argv, host }) => {
    const [from, to] = operands(argv);
    const file = from === undefined ? undefined : host.fs.get(from);
    if (from === undefined || to === undefined || file === undefined) return missing("ln", from ?? "");
    host.fs.set(to, file);
    return {};
  },
  rm: ({ argv, host }) => {
    const force = argv.slice(1).some((a) => /^-[a-z]*f/.test(a));
    for (const path of operands(argv)) {
      if (!host.fs.delete(path) && !force) return missing("rm", path);
    }
    return {};
  },
  sync: () => ({}),
};

/** Builds a {@link ScriptedHost} with `options.files` and `options.programs`. */
export function scriptedHost(options: ScriptedHostOptions = {}): ScriptedHost {
  const name = options.name ?? "scripted-host";
  const fs = new Map<string, MemoryFile>();
  const fileOps: FileOp[] = [];
  const programs = { ...BUILTINS, ...options.programs };
  const notFound = (op: string, path: string) =>
    driverError({ driver: name, op, reason: "not_found", message: `${path}: No such file or directory` });
  const write = (path: string, data: string | Uint8Array, mode?: number) => {
    const bytes = typeof data === "string" ? new TextEncoder().encode(data) : Uint8Array.from(data);
    fs.set(path, { data: bytes, mode: mode ?? fs.get(path)?.mode ?? 0o644, mtimeMs: Date.now() });
  };
  const files: ShellFiles = {
    readFile: (path) => {
      fileOps.push({ op: "read", path });
      const file = fs.get(path);
      return file ? okAsync(Uint8Array.from(file.data)) : errAsync(notFound("readFile", path));
    },
    writeFileAtomic: (path, data, writeOptions) => {
      fileOps.push({ op: "write", path });
      write(path, data, writeOptions?.mode);
      return okAsync(undefined);
    },
    rename: (from, to) => {
      fileOps.push({ op: "rename", path: from, to });
      const file = fs.get(from);
      if (!file) return errAsync(notFound("rename", from));
      fs.delete(from);
      fs.set(to, file);
      return okAsync(undefined);
    },
    link: (from, to) => {
      fileOps.push({ op: "link", path: from, to });
      const file = fs.get(from);
      if (!file) return errAsync(notFound("link", from));
      fs.set(to, file);
      return okAsync(undefined);
    },
    remove: (path) => {
      fileOps.push({ op: "remove", path });
      fs.delete(path);
      return okAsync(undefined);
    },
    list: (dir) => {
      fileOps.push({ op: "list", path: dir });
      const inDir = [...fs].filter(([path]) => posix.dirname(path) === dir);
      return okAsync(inDir.map(([path, file]) => ({ name: posix.basename(path), mtimeMs: file.mtimeMs })));
    },
  };
  const shell = recordingShell(
    (argv, runOptions) => {
      const program = programs[argv[0] ?? ""];
      if (!program) return { exitCode: 127, stderr: `sh: ${argv[0]}: not found\n` };
      const stdin = runOptions?.stdin ?? "";
      const text = typeof stdin === "string" ? stdin : new TextDecoder().decode(stdin);
      return program({ argv, stdin: text, options: runOptions, host });
    },
    {
      name,
      ...(options.location ? { location: options.location } : {}),
      ...(options.fileApi === false ? {} : { files }),
    },
  );
  const host: ScriptedHost = Object.assign(shell, {
    fs,
    fileOps,
    text: (path: string) => {
      const file = fs.get(path);
      return file && new TextDecoder().decode(file.data);
    },
    write,
  });
  for (const [path, data] of Object.entries(options.files ?? {})) write(path, data);
  return host;
}
