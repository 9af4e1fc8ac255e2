import { quoteForShell } from "../shell/quote-for-shell";

/** Where a command runs, so a dry-run line can be pasted into a terminal. */
export type ExecLocation =
  | { readonly kind: "local" }
  | { readonly kind: "incus"; readonly instance: string; readonly project?: string }
  | {
      readonly kind: "ssh";
      readonly host: string;
      readonly user?: string;
      readonly port?: number;
      /** A jump host, `[user@]host[:port]` (`ssh -J`). */
      readonly jump?: string;
    }
  | { readonly kind: "other"; readonly name: string };

/** One thing a step would do, as data: the dry run. */
export type Action =
  | {
      readonly kind: "exec";
      readonly where: ExecLocation;
      readonly argv: readonly string[];
      readonly stdin?: string;
    }
  | { readonly kind: "http"; readonly method: string; readonly url: string }
  | { readonly kind: "sql"; readonly where: string; readonly statement: string }
  | {
      readonly kind: "file";
      readonly op: "read" | "write" | "rename" | "remove";
      readonly where: ExecLocation;
      readonly path: string;
      readonly to?: string;
    }
  | { readonly kind: "note"; readonly text: string };

/** The longest SQL statement a dry-run line shows before it is cut with `…`. */
const SQL_SUMMARY_CHARS = 160;

/**
 * Renders an action as one line; every argv element quoted with quoteForShell (core's one
 * tested quoting helper), so a pasted `exec` or `file` line runs exactly that argv at its
 * location (an argument holding a newline keeps it, inside its quotes). Anything that is
 * not a pasteable command is a `#` comment, its control characters escaped so it stays
 * one line.
 */
export function renderAction(action: Action): string {
  switch (action.kind) {
    case "exec": {
      const line = execLine(action.where, action.argv);
      return action.stdin === undefined
        ? line
        : `${line} ${comment(`with ${byteCount(action.stdin)} bytes on stdin`)}`;
    }
    case "file":
      return fileLine(action);
    case "http":
      // A URL starting with `-` would be read as a curl option: never pasteable.
      if (action.url.startsWith("-")) return comment(`http ${action.method} ${action.url}`);
      return ["curl", "-sS", "-X", action.method, action.url].map(quoteForShell).join(" ");
    case "sql":
      return comment(`sql on ${action.where}: ${sqlSummary(action.statement)}`);
    case "note":
      return comment(action.text);
  }
}

/** The command line that runs `argv` at `where`: local as is, wrapped in `incus exec` or `ssh`, or a comment. */
function execLine(where: ExecLocation, argv: readonly string[]): string {
  const command = argv.map(quoteForShell).join(" ");
  // A name starting with `-` would be read as an option of incus or ssh: never pasteable.
  if (locationNames(where).some((name) => name.startsWith("-")))
    return comment(`${placeName(where)}: ${command}`);
  switch (where.kind) {
    case "local":
      return command;
    case "incus": {
      const project = where.project === undefined ? [] : ["--project", where.project];
      return `${["incus", "exec", ...project, where.instance, "--"].map(quoteForShell).join(" ")} ${command}`;
    }
    case "ssh": {
      // ssh sends its command words, joined by spaces, to the remote shell: the quoted
      // command is one word for the local shell, the remote shell then splits it back.
      const port = where.port === undefined ? [] : ["-p", String(where.port)];
      const jump = where.jump === undefined ? [] : ["-J", where.jump];
      return `${["ssh", ...port, ...jump, sshTarget(where), "--"].map(quoteForShell).join(" ")} ${quoteForShell(command)}`;
    }
    case "other":
      return comment(`on ${where.name}: ${command}`);
  }
}

/** A file action as the equivalent command at its location (a write, done through a temp file, as a comment). */
function fileLine(action: Extract<Action, { kind: "file" }>): string {
  switch (action.op) {
    case "read":
      return execLine(action.where, ["cat", "--", action.path]);
    case "rename":
      return execLine(action.where, ["mv", "-f", "--", action.path, action.to ?? ""]);
    case "remove":
      return execLine(action.where, ["rm", "-f", "--", action.path]);
    case "write":
      return comment(
        `write ${quoteForShell(action.path)} ${placeName(action.where)} atomically (temp file + rename)`,
      );
  }
}

/** The names a location puts on the incus or ssh command line. */
function locationNames(where: ExecLocation): readonly string[] {
  if (where.kind === "incus")
    return [where.instance, ...(where.project === undefined ? [] : [where.project])];
  if (where.kind === "ssh") return [sshTarget(where), ...(where.jump === undefined ? [] : [where.jump])];
  return [];
}

/** `[user@]host`. */
function sshTarget(where: Extract<ExecLocation, { kind: "ssh" }>): string {
  return where.user === undefined ? where.host : `${where.user}@${where.host}`;
}

/** Where a location is, in words. */
function placeName(where: ExecLocation): string {
  switch (where.kind) {
    case "local":
      return "locally";
    case "incus":
      return `in incus instance ${where.instance}${where.project === undefined ? "" : ` (project ${where.project})`}`;
    case "ssh":
      return `on ${sshTarget(where)} over ssh${where.jump === undefined ? "" : ` via ${where.jump}`}`;
    case "other":
      return `on ${where.name}`;
  }
}

/** A SQL statement on one line: whitespace runs collapsed, cut at {@link SQL_SUMMARY_CHARS}. */
function sqlSummary(statement: string): string {
  const line = statement.replace(/\s+/g, " ").trim();
  return line.length <= SQL_SUMMARY_CHARS ? line : `${line.slice(0, SQL_SUMMARY_CHARS)}…`;
}

/** A `#` comment that stays one line: control characters (newline included) shown as escapes. */
function comment(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: escaping control characters is the point
  const escaped = text.replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, (c) => {
    if (c === "\n") return "\\n";
    if (c === "\r") return "\\r";
    if (c === "\t") return "\\t";
    return `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;
  });
  return `# ${escaped}`;
}

/** UTF-8 length of a string. */
function byteCount(text: string): number {
  return new TextEncoder().encode(text).length;
}
