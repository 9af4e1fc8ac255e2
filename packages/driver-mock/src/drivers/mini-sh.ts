import { posix } from "node:path";
import { fromUtf8, utf8 } from "../world/world-state";
import { type ProgramIO, runProgram } from "./shell-programs";

/**
 * A small POSIX `sh` for the simulated shells: lists (`;`, newlines, `&&`, `||`),
 * pipelines (`|`, `!`), redirections (`>`, `>>`, `<`, `n>&m`, `/dev/null`), quoting
 * (`'…'`, `"…"`, `\`), parameters (`$NAME`, `${NAME}`, `$1`…, `"$@"`, `$*`, `$#`, `$?`),
 * assignments, `if/elif/else/fi`, `for … in …; do … done`, `{ …; }`, and the builtins
 * `exit`, `cd`, `export`, `shift`. Not supported: command substitution, globbing,
 * background jobs (`&` runs in the foreground), functions, `while`, `case`.
 */

type Part = { kind: "lit"; text: string; quoted: boolean } | { kind: "param"; name: string; quoted: boolean };
type Word = Part[];
type Token =
  | { t: "word"; word: Word }
  | { t: "op"; op: string }
  | { t: "redir"; op: string; fd: number | null };

interface Redirect {
  readonly op: string;
  readonly fd: number;
  readonly target: Word;
}
type Command =
  | { type: "simple"; assigns: { name: string; value: Word }[]; words: Word[]; redirects: Redirect[] }
  | { type: "if"; clauses: { cond: AndOr[]; body: AndOr[] }[]; otherwise: AndOr[] | null }
  | { type: "for"; name: string; items: Word[] | null; body: AndOr[] }
  | { type: "group"; body: AndOr[] };
interface Pipeline {
  readonly negate: boolean;
  readonly commands: Command[];
}
interface AndOr {
  readonly first: Pipeline;
  readonly rest: { op: "&&" | "||"; pipeline: Pipeline }[];
}

class ShSyntaxError extends Error {}

/** Thrown by `exit`: unwinds the script with its code. */
class ExitSignal {
  constructor(readonly code: number) {}
}

const OPERATORS = ["&&", "||", ";", "&", "|", "(", ")", "\n"];
const RESERVED = new Set(["if", "then", "elif", "else", "fi", "for", "in", "do", "done", "{", "}", "!"]);

function lex(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const isBreak = (c: string | undefined) => c === undefined || /[\s;&|()<>]/.test(c);
  while (i < src.length) {
    const c = src[i] as string;
    if (c === " " || c === "\t") {
      i++;
      continue;
    }
    if (c === "\\" && src[i + 1] === "\n") {
      i += 2;
      continue;
    }
    if (c === "#") {
      while (i < src.length && src[i] !== "\n") i++;
      continue;
    }
    const op = OPERATORS.find((o) => src.startsWith(o, i));
    if (op) {
      tokens.push({ t: "op", op });
      i += op.length;
      continue;
    }
    const redir = /^(\d?)(>>|>&|<&|>|<)/.exec(src.slice(i));
    if (redir) {
      tokens.push({ t: "redir", op: redir[2] as string, fd: redir[1] ? Number(redir[1]) : null });
      i += redir[0].length;
      continue;
    }
    const word: Word = [];
    const lit = (text: string, quoted: boolean) => {
      const last = word.at(-1);
      if (last?.kind === "lit" && last.quoted === quoted) last.text += text;
      else word.push({ kind: "lit", text, quoted });
    };
    const param = (quoted: boolean): void => {
      const rest = src.slice(i + 1);
      if (rest.startsWith("(")) throw new ShSyntaxError("command substitution $(…) is not supported");
      const braced = /^\{([A-Za-z_][A-Za-z0-9_]*|[0-9]+|[@*#?$])\}/.exec(rest);
      const bare = /^([A-Za-z_][A-Za-z0-9_]*|[0-9]|[@*#?$])/.exec(rest);
      const m = braced ?? bare;
      if (!m) {
        lit("$", quoted);
        i++;
        return;
      }
      word.push({ kind: "param", name: m[1] as string, quoted });
      i += 1 + m[0].length;
    };
    while (i < src.length && !isBreak(src[i])) {
      const ch = src[i] as string;
      if (ch === "'") {
        const end = src.indexOf("'", i + 1);
        if (end < 0) throw new ShSyntaxError("unterminated quoted string");
        lit(src.slice(i + 1, end), true);
        i = end + 1;
      } else if (ch === '"') {
        i++;
        let closed = false;
        lit("", true);
        while (i < src.length) {
          const d = src[i] as string;
          if (d === '"') {
            closed = true;
            i++;
            break;
          }
          if (d === "\\" && /[$`"\\\n]/.test(src[i + 1] ?? "")) {
            if (src[i + 1] !== "\n") lit(src[i + 1] as string, true);
            i += 2;
          } else if (d === "$") param(true);
          else if (d === "`") throw new ShSyntaxError("command substitution `…` is not supported");
          else {
            lit(d, true);
            i++;
          }
        }
        if (!closed) throw new ShSyntaxError("unterminated quoted string");
      } else if (ch === "\\") {
        lit(src[i + 1] ?? "", true);
        i += 2;
      } else if (ch === "$") {
        param(false);
      } else if (ch === "`") {
        throw new ShSyntaxError("command substitution `…` is not supported");
      } else {
        lit(ch, false);
        i++;
      }
    }
    tokens.push({ t: "word", word });
  }
  return tokens;
}

const plain = (w: Word): string | null =>
  w.length === 1 && w[0]?.kind === "lit" && !w[0].quoted ? w[0].text : null;

class Parser {
  #at = 0;
  constructor(readonly tokens: Token[]) {}

  #peek(): Token | undefined {
    return this.tokens[this.#at];
  }
  #isWord(text: string): boolean {
    const t = this.#peek();
    return t?.t === "word" && plain(t.word) === text;
  }
  #isOp(op: string): boolean {
    const t = this.#peek();
    return t?.t === "op" && t.op === op;
  }
  #skipNewlines(): void {
    while (this.#isOp("\n")) this.#at++;
  }
  #expectWord(text: string): void {
    this.#skipNewlines();
    if (!this.#isWord(text)) throw new ShSyntaxError(`expected "${text}"`);
    this.#at++;
  }

  /** A whole script. */
  script(): AndOr[] {
    const list = this.list([]);
    if (this.#at < this.tokens.length) throw new ShSyntaxError("unexpected token");
    return list;
  }

  list(terminators: string[]): AndOr[] {
    const items: AndOr[] = [];
    for (;;) {
      while (this.#isOp("\n") || this.#isOp(";") || this.#isOp("&")) this.#at++;
      const t = this.#peek();
      if (
        !t ||
        (t.t === "word" && terminators.includes(plain(t.word) ?? "\0")) ||
        (t.t === "op" && t.op === ")")
      )
        return items;
      items.push(this.#andOr());
    }
  }

  #andOr(): AndOr {
    const first = this.#pipeline();
    const rest: AndOr["rest"] = [];
    while (this.#isOp("&&") || this.#isOp("||")) {
      const op = (this.#peek() as { op: "&&" | "||" }).op;
      this.#at++;
      this.#skipNewlines();
      rest.push({ op, pipeline: this.#pipeline() });
    }
    return { first, rest };
  }

  #pipeline(): Pipeline {
    let negate = false;
    if (this.#isWord("!")) {
      negate = true;
      this.#at++;
    }
    const commands = [this.#command()];
    while (this.#isOp("|")) {
      this.#at++;
      this.#skipNewlines();
      commands.push(this.#command());
    }
    return { negate, commands };
  }

  #command(): Command {
    if (this.#isWord("if")) {
      this.#at++;
      const clauses: { cond: AndOr[]; body: AndOr[] }[] = [];
      let otherwise: AndOr[] | null = null;
      const cond = this.list(["then"]);
      this.#expectWord("then");
      clauses.push({ cond, body: this.list(["elif", "else", "fi"]) });
      for (;;) {
        if (this.#isWord("elif")) {
          this.#at++;
          const c = this.list(["then"]);
          this.#expectWord("then");
          clauses.push({ cond: c, body: this.list(["elif", "else", "fi"]) });
        } else if (this.#isWord("else")) {
          this.#at++;
          otherwise = this.list(["fi"]);
        } else break;
      }
      this.#expectWord("fi");
      return { type: "if", clauses, otherwise };
    }
    if (this.#isWord("for")) {
      this.#at++;
      const t = this.#peek();
      const name = t?.t === "word" ? plain(t.word) : null;
      if (!name || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new ShSyntaxError("bad for loop variable");
      this.#at++;
      let items: Word[] | null = null;
      if (this.#isWord("in")) {
        this.#at++;
        items = [];
        for (let w = this.#peek(); w?.t === "word"; w = this.#peek()) {
          items.push(w.word);
          this.#at++;
        }
      }
      if (this.#isOp(";")) this.#at++;
      this.#expectWord("do");
      const body = this.list(["done"]);
      this.#expectWord("done");
      return { type: "for", name, items, body };
    }
    if (this.#isWord("{")) {
      this.#at++;
      const body = this.list(["}"]);
      this.#expectWord("}");
      return { type: "group", body };
    }
    const simple: Extract<Command, { type: "simple" }> = {
      type: "simple",
      assigns: [],
      words: [],
      redirects: [],
    };
    for (let t = this.#peek(); t && t.t !== "op"; t = this.#peek()) {
      this.#at++;
      if (t.t === "redir") {
        const target = this.#peek();
        if (target?.t !== "word") throw new ShSyntaxError(`expected a file after ${t.op}`);
        this.#at++;
        simple.redirects.push({ op: t.op, fd: t.fd ?? (t.op.startsWith("<") ? 0 : 1), target: target.word });
        continue;
      }
      const first = t.word[0];
      const assign =
        first?.kind === "lit" && !first.quoted ? /^([A-Za-z_][A-Za-z0-9_]*)=/.exec(first.text) : null;
      if (assign && simple.words.length === 0) {
        const value: Word = [
          {
            kind: "lit",
            text: first?.kind === "lit" ? first.text.slice(assign[0].length) : "",
            quoted: true,
          },
          ...t.word.slice(1),
        ];
        simple.assigns.push({ name: assign[1] as string, value });
        continue;
      }
      if (simple.words.length === 0 && RESERVED.has(plain(t.word) ?? "") && plain(t.word) !== "!")
        throw new ShSyntaxError(`unexpected "${plain(t.word)}"`);
      simple.words.push(t.word);
    }
    if (simple.words.length === 0 && simple.assigns.length === 0 && simple.redirects.length === 0)
      throw new ShSyntaxError("expected a command");
    return simple;
  }
}

interface ShState {
  readonly vars: Map<string, string>;
  positional: string[];
  readonly name: string;
  status: number;
  cwd: string;
}

function lookup(state: ShState, name: string): string | string[] {
  if (name === "@") return state.positional;
  if (name === "*") return state.positional.join(" ");
  if (name === "#") return String(state.positional.length);
  if (name === "?") return String(state.status);
  if (name === "$") return "1";
  if (name === "0") return state.name;
  if (/^\d+$/.test(name)) return state.positional[Number(name) - 1] ?? "";
  return state.vars.get(name) ?? "";
}

/** Expands a word into fields: parameters, `"$@"`, and splitting of unquoted expansions. */
function expand(word: Word, state: ShState): string[] {
  const fields: string[] = [];
  let current = "";
  let has = false;
  for (const part of word) {
    if (part.kind === "lit") {
      current += part.text;
      if (part.quoted || part.text !== "") has = true;
      continue;
    }
    const value = lookup(state, part.name);
    const values = Array.isArray(value) ? value : [value];
    if (part.quoted && Array.isArray(value)) {
      values.forEach((v, i) => {
        if (i > 0) fields.push(current);
        current = i === 0 ? current + v : v;
        has = true;
      });
    } else if (part.quoted) {
      current += values.join(" ");
      has = true;
    } else {
      const pieces = values.join(" ").split(/[ \t\n]+/);
      pieces.forEach((p, i) => {
        if (i > 0 && has) {
          fields.push(current);
          current = "";
        }
        current += p;
        if (p !== "") has = true;
      });
    }
  }
  if (has) fields.push(current);
  return fields;
}

const expandOne = (word: Word, state: ShState): string => expand(word, state).join(" ");

interface Streams {
  readonly stdin: Uint8Array;
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

class Interpreter {
  constructor(
    readonly io: ProgramIO,
    readonly state: ShState,
  ) {}

  async list(items: AndOr[], s: Streams): Promise<number> {
    for (const item of items) await this.andOr(item, s);
    return this.state.status;
  }

  async andOr(item: AndOr, s: Streams): Promise<number> {
    let status = await this.pipeline(item.first, s);
    for (const { op, pipeline } of item.rest) {
      if ((op === "&&" && status === 0) || (op === "||" && status !== 0))
        status = await this.pipeline(pipeline, s);
    }
    return status;
  }

  async pipeline(p: Pipeline, s: Streams): Promise<number> {
    let stdin = s.stdin;
    let status = 0;
    for (const [index, command] of p.commands.entries()) {
      const last = index === p.commands.length - 1;
      const chunks: string[] = [];
      status = await this.command(command, { stdin, out: last ? s.out : (t) => chunks.push(t), err: s.err });
      if (!last) stdin = utf8(chunks.join(""));
    }
    this.state.status = p.negate ? (status === 0 ? 1 : 0) : status;
    return this.state.status;
  }

  async command(c: Command, s: Streams): Promise<number> {
    switch (c.type) {
      case "if":
        for (const clause of c.clauses) {
          if ((await this.list(clause.cond, s)) === 0) return this.list(clause.body, s);
        }
        this.state.status = 0;
        return c.otherwise ? this.list(c.otherwise, s) : 0;
      case "for": {
        const items =
          c.items === null ? [...this.state.positional] : c.items.flatMap((w) => expand(w, this.state));
        this.state.status = 0;
        for (const item of items) {
          this.state.vars.set(c.name, item);
          await this.list(c.body, s);
        }
        return this.state.status;
      }
      case "group":
        return this.list(c.body, s);
      case "simple":
        return this.simple(c, s);
    }
  }

  async simple(c: Extract<Command, { type: "simple" }>, s: Streams): Promise<number> {
    const argv = c.words.flatMap((w) => expand(w, this.state));
    const files = new Map<string, { append: boolean; chunks: string[] }>();
    const sinks: Record<number, (t: string) => void> = { 1: s.out, 2: s.err };
    let stdin = s.stdin;
    const abs = (p: string) => posix.resolve(this.state.cwd, p);
    for (const r of c.redirects) {
      const target = expandOne(r.target, this.state);
      if (r.op === ">&" || r.op === "<&") {
        const from = sinks[Number(target)];
        if (!from) return this.#fail(s, 2, `sh: ${target}: bad file descriptor\n`);
        sinks[r.fd] = from;
      } else if (r.op === "<") {
        const bytes = target === "/dev/null" ? new Uint8Array() : this.io.image.files.get(abs(target));
        if (!bytes) return this.#fail(s, 1, `sh: cannot open ${target}: No such file\n`);
        stdin = bytes;
      } else {
        const sink = { append: r.op === ">>", chunks: [] as string[] };
        if (target !== "/dev/null") files.set(abs(target), sink);
        sinks[r.fd] = (t) => sink.chunks.push(t);
      }
    }
    const flush = () => {
      for (const [path, f] of files) {
        const before = f.append ? fromUtf8(this.io.image.files.get(path) ?? new Uint8Array()) : "";
        this.io.image.files.set(path, utf8(before + f.chunks.join("")));
        if (!this.io.image.meta.has(path)) this.io.image.meta.set(path, { mode: 0o644, uid: 0, gid: 0 });
      }
    };
    const out = sinks[1] ?? s.out;
    const err = sinks[2] ?? s.err;
    if (argv.length === 0) {
      for (const a of c.assigns) this.state.vars.set(a.name, expandOne(a.value, this.state));
      flush();
      this.state.status = 0;
      return 0;
    }
    const env = Object.fromEntries(this.state.vars);
    for (const a of c.assigns) env[a.name] = expandOne(a.value, this.state);
    const [cmd, ...args] = argv as [string, ...string[]];
    let status: number;
    switch (cmd) {
      case "exit": {
        flush();
        const code = args[0] === undefined ? this.state.status : Number.parseInt(args[0], 10);
        throw new ExitSignal(Number.isNaN(code) ? 2 : code & 255);
      }
      case "cd":
        this.state.cwd = abs(args[0] ?? "/");
        status = 0;
        break;
      case "export":
        for (const a of args) {
          const [k, ...v] = a.split("=");
          if (k && v.length) this.state.vars.set(k, v.join("="));
        }
        status = 0;
        break;
      case "shift":
        this.state.positional = this.state.positional.slice(Number(args[0] ?? 1));
        status = 0;
        break;
      default:
        status = await runProgram(argv, {
          ...this.io,
          stdin,
          env,
          cwd: this.state.cwd,
          stdout: out,
          stderr: err,
        });
    }
    flush();
    this.state.status = status;
    return status;
  }

  #fail(s: Streams, code: number, message: string): number {
    s.err(message);
    this.state.status = code;
    return code;
  }
}

/** Runs a script with `$0` = `positional[0]` (default `sh`) and `$1`… = the rest; resolves to its exit status. */
export async function runScript(
  script: string,
  positional: readonly string[],
  io: ProgramIO,
): Promise<number> {
  let ast: AndOr[];
  try {
    ast = new Parser(lex(script)).script();
  } catch (e) {
    if (e instanceof ShSyntaxError) {
      io.stderr(`sh: syntax error: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  const state: ShState = {
    vars: new Map(Object.entries(io.env)),
    positional: positional.slice(1),
    name: positional[0] ?? "sh",
    status: 0,
    cwd: io.cwd,
  };
  const interpreter = new Interpreter(io, state);
  try {
    return await interpreter.list(ast, { stdin: io.stdin, out: io.stdout, err: io.stderr });
  } catch (e) {
    if (e instanceof ExitSignal) return e.code;
    throw e;
  }
}
