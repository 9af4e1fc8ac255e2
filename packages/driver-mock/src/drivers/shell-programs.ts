import { createHash } from "node:crypto";
import { posix } from "node:path";
import { type DiskImage, fromUtf8, utf8 } from "../world/world-state";

/** What a simulated program sees: its streams, the container's files, its environment. */
export interface ProgramIO {
  readonly image: DiskImage;
  readonly stdin: Uint8Array;
  readonly env: Readonly<Record<string, string>>;
  readonly cwd: string;
  stdout(text: string): void;
  stderr(text: string): void;
  /** Waits on the fleet clock (throws the shell's interrupt on timeout or abort). */
  sleep(ms: number): Promise<void>;
  /** Runs a script with `sh` semantics (the `sh` program). */
  sh(script: string, positional: readonly string[], io: ProgramIO): Promise<number>;
}

/** The programs a simulated shell can run, besides the `sh` language's own builtins. */
export const SHELL_COMMANDS = [
  "sh",
  "true",
  "false",
  "echo",
  "printf",
  "cat",
  "head",
  "tail",
  "yes",
  "pwd",
  "env",
  "printenv",
  "test",
  "[",
  "tee",
  "rm",
  "mkdir",
  "mv",
  "cp",
  "ls",
  "wc",
  "sha256sum",
  "sleep",
] as const;

/** Lines `yes` prints before it stops (a real `yes` runs until its reader goes away). */
const YES_LINES = 1 << 20;

function unescapeBackslashes(text: string): string {
  return text.replaceAll(/\\(\\|n|t|r|a|b|f|v|0)/g, (_, c: string) =>
    c === "\\"
      ? "\\"
      : ({ n: "\n", t: "\t", r: "\r", a: "\x07", b: "\b", f: "\f", v: "\v", "0": "\0" }[c] ?? c),
  );
}

function printf(format: string, args: readonly string[]): string {
  const fmt = unescapeBackslashes(format);
  let out = "";
  let rest = [...args];
  do {
    let used = 0;
    out += fmt.replaceAll(/%([%sdib])/g, (_, spec: string) => {
      if (spec === "%") return "%";
      const arg = rest[used++] ?? "";
      if (spec === "s") return arg;
      if (spec === "b") return unescapeBackslashes(arg);
      const n = Number.parseInt(arg || "0", 10);
      return Number.isNaN(n) ? "0" : String(n);
    });
    rest = used === 0 ? [] : rest.slice(used);
  } while (rest.length > 0);
  return out;
}

/** The first `n` lines of `text` (or the last `n`). */
function takeLines(text: string, n: number, fromEnd: boolean): string {
  if (n <= 0) return "";
  if (!fromEnd) {
    let at = -1;
    for (let i = 0; i < n; i++) {
      at = text.indexOf("\n", at + 1);
      if (at < 0) return text;
    }
    return text.slice(0, at + 1);
  }
  let end = text.endsWith("\n") ? text.length - 1 : text.length;
  for (let i = 0; i < n; i++) {
    const at = text.lastIndexOf("\n", end - 1);
    if (at < 0) return text;
    end = at;
  }
  return text.slice(end + 1);
}

/** Evaluates `test` / `[` expressions (files, strings, integers, `!`). */
function evaluateTest(
  expr: readonly string[],
  fs: { exists(p: string): boolean; isDir(p: string): boolean },
): boolean {
  if (expr[0] === "!") return !evaluateTest(expr.slice(1), fs);
  const [a = "", b = "", c = ""] = expr;
  if (expr.length === 0) return false;
  if (expr.length === 1) return a !== "";
  if (expr.length === 2) {
    if (a === "-e" || a === "-s") return fs.exists(b);
    if (a === "-f") return fs.exists(b) && !fs.isDir(b);
    if (a === "-d") return fs.isDir(b);
    if (a === "-z") return b === "";
    if (a === "-n") return b !== "";
    return false;
  }
  const x = Number(a);
  const y = Number(c);
  const compare: Record<string, () => boolean> = {
    "=": () => a === c,
    "==": () => a === c,
    "!=": () => a !== c,
    "-eq": () => x === y,
    "-ne": () => x !== y,
    "-lt": () => x < y,
    "-le": () => x <= y,
    "-gt": () => x > y,
    "-ge": () => x >= y,
  };
  return compare[b]?.() ?? false;
}

/** Runs one program against a container's files; resolves to its exit code. */
export async function runProgram(argv: readonly string[], io: ProgramIO): Promise<number> {
  const [path = "", ...args] = argv;
  const cmd = /^\/(?:usr\/)?bin\/[^/]+$/.test(path) ? posix.basename(path) : path;
  const abs = (p: string) => posix.resolve(io.cwd, p);
  const read = (p: string) => (p === "/dev/null" ? new Uint8Array() : io.image.files.get(abs(p)));
  const write = (p: string, data: Uint8Array) => {
    if (p === "/dev/null") return;
    io.image.files.set(abs(p), data);
    if (!io.image.meta.has(abs(p))) io.image.meta.set(abs(p), { mode: 0o644, uid: 0, gid: 0 });
  };
  const isDir = (p: string) => {
    const prefix = abs(p) === "/" ? "/" : `${abs(p)}/`;
    return (
      abs(p) === "/" || abs(p) === "/tmp" || [...io.image.files.keys()].some((f) => f.startsWith(prefix))
    );
  };
  const fail = (code: number, message: string) => {
    io.stderr(message);
    return code;
  };
  const inputs = (files: readonly string[]): { text: string; errors: number } => {
    if (files.length === 0) return { text: fromUtf8(io.stdin), errors: 0 };
    let text = "";
    let errors = 0;
    for (const f of files) {
      const bytes = f === "-" ? io.stdin : read(f);
      if (bytes) text += fromUtf8(bytes);
      else {
        errors++;
        io.stderr(`${cmd}: ${f}: No such file or directory\n`);
      }
    }
    return { text, errors };
  };

  switch (cmd) {
    case "sh": {
      if (args[0] === "-c") {
        if (args[1] === undefined) return fail(2, "sh: -c: option requires an argument\n");
        return io.sh(args[1], args.slice(2), io);
      }
      if (args.length === 0 || args[0] === "-s")
        return io.sh(fromUtf8(io.stdin), ["sh", ...args.slice(1)], { ...io, stdin: new Uint8Array() });
      const script = read(args[0] ?? "");
      if (!script) return fail(127, `sh: 0: cannot open ${args[0]}: No such file\n`);
      return io.sh(fromUtf8(script), args, io);
    }
    case "true":
    case ":":
      return 0;
    case "false":
      return 1;
    case "echo": {
      const noNewline = args[0] === "-n";
      const words = noNewline ? args.slice(1) : args;
      io.stdout(`${words.join(" ")}${noNewline ? "" : "\n"}`);
      return 0;
    }
    case "printf":
      if (args.length === 0) return fail(2, "printf: missing operand\n");
      io.stdout(printf(args[0] ?? "", args.slice(1)));
      return 0;
    case "cat": {
      const { text, errors } = inputs(args);
      io.stdout(text);
      return errors ? 1 : 0;
    }
    case "head":
    case "tail": {
      let n = 10;
      const files: string[] = [];
      for (let i = 0; i < args.length; i++) {
        const a = args[i] as string;
        if (a === "-n") n = Number.parseInt(args[++i] ?? "10", 10);
        else if (/^-n\d+$/.test(a)) n = Number.parseInt(a.slice(2), 10);
        else if (/^-\d+$/.test(a)) n = Number.parseInt(a.slice(1), 10);
        else files.push(a);
      }
      const { text, errors } = inputs(files);
      io.stdout(takeLines(text, n, cmd === "tail"));
      return errors ? 1 : 0;
    }
    case "yes":
      io.stdout(`${args.length ? args.join(" ") : "y"}\n`.repeat(YES_LINES));
      return 0;
    case "pwd":
      io.stdout(`${io.cwd}\n`);
      return 0;
    case "env":
      io.stdout(
        Object.entries(io.env)
          .map(([k, v]) => `${k}=${v}\n`)
          .join(""),
      );
      return 0;
    case "printenv": {
      if (args.length === 0) return runProgram(["env"], io);
      const values = args.map((k) => io.env[k]);
      for (const v of values) if (v !== undefined) io.stdout(`${v}\n`);
      return values.every((v) => v !== undefined) ? 0 : 1;
    }
    case "test":
    case "[": {
      if (cmd === "[" && args.at(-1) !== "]") return fail(2, "[: missing ']'\n");
      const expr = cmd === "[" ? args.slice(0, -1) : args;
      return evaluateTest(expr, { exists: (p) => read(p) !== undefined || isDir(p), isDir }) ? 0 : 1;
    }
    case "tee": {
      const append = args[0] === "-a";
      for (const f of append ? args.slice(1) : args) {
        const before = append ? (read(f) ?? new Uint8Array()) : new Uint8Array();
        write(f, new Uint8Array([...before, ...io.stdin]));
      }
      io.stdout(fromUtf8(io.stdin));
      return 0;
    }
    case "rm": {
      const force = args.some((a) => /^-[a-zA-Z]*f/.test(a));
      let code = 0;
      for (const f of args.filter((a) => !a.startsWith("-"))) {
        const existed = io.image.files.delete(abs(f));
        io.image.meta.delete(abs(f));
        if (!existed && !force) code = fail(1, `rm: cannot remove '${f}': No such file or directory\n`);
      }
      return code;
    }
    case "mkdir":
      return 0;
    case "mv":
    case "cp": {
      const [from, to] = args.filter((a) => !a.startsWith("-"));
      if (from === undefined || to === undefined) return fail(1, `${cmd}: missing file operand\n`);
      const bytes = read(from);
      if (!bytes) return fail(1, `${cmd}: cannot stat '${from}': No such file or directory\n`);
      const dest = isDir(to) && !read(to) ? posix.join(to, posix.basename(from)) : to;
      write(dest, new Uint8Array(bytes));
      if (cmd === "mv" && abs(from) !== abs(dest)) {
        io.image.meta.set(abs(dest), io.image.meta.get(abs(from)) ?? { mode: 0o644 });
        io.image.files.delete(abs(from));
        io.image.meta.delete(abs(from));
      }
      return 0;
    }
    case "ls": {
      const dir = abs(args.find((a) => !a.startsWith("-")) ?? ".");
      if (io.image.files.has(dir)) {
        io.stdout(`${dir}\n`);
        return 0;
      }
      const prefix = dir === "/" ? "/" : `${dir}/`;
      const names = new Set(
        [...io.image.files.keys()]
          .filter((f) => f.startsWith(prefix))
          .map((f) => f.slice(prefix.length).split("/")[0]),
      );
      if (names.size === 0 && !isDir(dir))
        return fail(2, `ls: cannot access '${dir}': No such file or directory\n`);
      io.stdout(
        [...names]
          .sort()
          .map((n) => `${n}\n`)
          .join(""),
      );
      return 0;
    }
    case "wc": {
      const flag = args.find((a) => a.startsWith("-")) ?? "-l";
      const files = args.filter((a) => !a.startsWith("-"));
      const { text, errors } = inputs(files);
      const count =
        flag === "-c"
          ? utf8(text).length
          : flag === "-w"
            ? text.split(/\s+/).filter(Boolean).length
            : text.split("\n").length - 1;
      io.stdout(files.length === 1 ? `${count} ${files[0]}\n` : `${count}\n`);
      return errors ? 1 : 0;
    }
    case "sha256sum": {
      let code = 0;
      for (const f of args.length ? args : ["-"]) {
        const bytes = f === "-" ? io.stdin : read(f);
        if (bytes) io.stdout(`${createHash("sha256").update(bytes).digest("hex")}  ${f}\n`);
        else code = fail(1, `sha256sum: ${f}: No such file or directory\n`);
      }
      return code;
    }
    case "sleep": {
      const seconds = Number(args[0]);
      if (args.length !== 1 || !Number.isFinite(seconds) || seconds < 0)
        return fail(1, `sleep: invalid time interval '${args[0] ?? ""}'\n`);
      await io.sleep(Math.round(seconds * 1000));
      return 0;
    }
    default:
      return fail(127, `${cmd}: command not found\n`);
  }
}
