import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Action, type ExecLocation, renderAction } from "../src/index";
import { anyArgument } from "./support/any-argument";

/** Arguments that inject a command (`touch x`) into a line a shell reads carelessly. */
const HOSTILE = [
  "$(touch x)",
  "`touch x`",
  "; touch x",
  "&& touch x",
  "| touch x",
  "it's",
  "a'b\"c",
  "'; touch x; '",
  "line1\ntouch x\n",
  "\r\ntouch x",
  "*",
  "-rf",
  "",
  " two words ",
  "A=b",
];

/**
 * Stand-ins for `incus` and `ssh` on PATH: incus runs what follows `--`; ssh joins what
 * follows `--` with spaces and hands it to a second `sh -c`, as sshd's login shell would.
 * Both print the words before `--` as `[word]` on stderr.
 */
const FAKE_INCUS = `#!/bin/sh
while [ "$1" != "--" ]; do printf '[%s]' "$1" >&2; shift; done
shift
exec "$@"
`;
const FAKE_SSH = `#!/bin/sh
while [ "$1" != "--" ]; do printf '[%s]' "$1" >&2; shift; done
shift
exec sh -c "$*"
`;

let dir: string;
let work: string;
let bin: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "render-action-"));
  work = join(dir, "work");
  bin = join(dir, "bin");
  execFileSync("mkdir", ["-p", work, bin]);
  writeFileSync(join(bin, "incus"), FAKE_INCUS);
  writeFileSync(join(bin, "ssh"), FAKE_SSH);
  chmodSync(join(bin, "incus"), 0o755);
  chmodSync(join(bin, "ssh"), 0o755);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Pastes `line` into `sh -c` in the work directory; stdout and stderr. */
function paste(line: string): { stdout: string; stderr: string } {
  const env = { ...process.env, PATH: `${bin}:${process.env.PATH ?? ""}` };
  const result = spawnSync("sh", ["-c", line], { cwd: work, env, encoding: "utf8" });
  expect(result.status, result.stderr).toBe(0);
  return { stdout: result.stdout, stderr: result.stderr };
}

const LOCATIONS: ReadonlyArray<readonly [string, ExecLocation]> = [
  ["local", { kind: "local" }],
  ["incus", { kind: "incus", instance: "veza-staging-haproxy" }],
  ["incus with a project", { kind: "incus", instance: "web", project: "my project" }],
  ["ssh", { kind: "ssh", host: "127.0.0.1" }],
  ["ssh with user and port", { kind: "ssh", host: "db.example", user: "ops", port: 2222 }],
  ["ssh through a jump host", { kind: "ssh", host: "10.0.0.5", user: "ops", jump: "ops@bastion:2200" }],
];

describe.each(LOCATIONS)("renderAction: exec at %s", (_name, where) => {
  it("runs exactly the argv when pasted, never an injected command", () => {
    for (const arg of HOSTILE) {
      const line = renderAction({ kind: "exec", where, argv: ["printf", "<%s>", arg] });
      expect(paste(line).stdout).toBe(`<${arg}>`);
    }
    expect(readdirSync(work)).toEqual([]);
  });

  it("passes the location's words to incus or ssh unchanged", () => {
    const { stderr } = paste(renderAction({ kind: "exec", where, argv: ["true"] }));
    if (where.kind === "incus") {
      const project = where.project === undefined ? "" : `[--project][${where.project}]`;
      expect(stderr).toBe(`[exec]${project}[${where.instance}]`);
    } else if (where.kind === "ssh") {
      const port = where.port === undefined ? "" : `[-p][${where.port}]`;
      const jump = where.jump === undefined ? "" : `[-J][${where.jump}]`;
      const user = where.user === undefined ? "" : `${where.user}@`;
      expect(stderr).toBe(`${port}${jump}[${user}${where.host}]`);
    } else {
      expect(stderr).toBe("");
    }
  });

  it("reads, renames and removes a hostile file name exactly", () => {
    for (const arg of HOSTILE.filter((a) => a !== "" && !a.includes("/"))) {
      const name = `-${arg}`;
      writeFileSync(join(work, name), "contents");
      expect(paste(renderAction({ kind: "file", op: "read", where, path: name })).stdout).toBe("contents");
      paste(renderAction({ kind: "file", op: "rename", where, path: name, to: `${name}.prev` }));
      expect(readdirSync(work)).toEqual([`${name}.prev`]);
      paste(renderAction({ kind: "file", op: "remove", where, path: `${name}.prev` }));
      expect(readdirSync(work)).toEqual([]);
    }
  });
});

describe.each(LOCATIONS)("renderAction: exec at %s (property)", (_name, where) => {
  it("gives back any argv without NUL exactly", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(anyArgument, { maxLength: 5 }), async (args) => {
        const line = renderAction({ kind: "exec", where, argv: ["printf", "<%s>", ...args] });
        const expected = args.length === 0 ? "<>" : args.map((a) => `<${a}>`).join("");
        expect(paste(line).stdout).toBe(expected);
      }),
      { numRuns: 60 },
    );
    expect(readdirSync(work)).toEqual([]);
  });
});

describe("renderAction", () => {
  it("renders the forms an operator types", () => {
    expect(
      renderAction({ kind: "exec", where: { kind: "local" }, argv: ["haproxy", "-c", "-f", "/x y"] }),
    ).toBe("haproxy -c -f '/x y'");
    expect(
      renderAction({
        kind: "exec",
        where: { kind: "incus", instance: "veza-haproxy" },
        argv: ["cat", "/etc/a"],
      }),
    ).toBe("incus exec veza-haproxy -- cat /etc/a");
    expect(
      renderAction({
        kind: "exec",
        where: { kind: "ssh", host: "10.0.0.5", user: "ops", port: 2222 },
        argv: ["nginx", "-s", "reload"],
      }),
    ).toBe("ssh -p 2222 ops@10.0.0.5 -- 'nginx -s reload'");
    expect(renderAction({ kind: "http", method: "POST", url: "https://ci.example/api?a=1&b=2" })).toBe(
      "curl -sS -X POST 'https://ci.example/api?a=1&b=2'",
    );
    expect(renderAction({ kind: "file", op: "remove", where: { kind: "local" }, path: "/tmp/a b" })).toBe(
      "rm -f -- '/tmp/a b'",
    );
    expect(
      renderAction({
        kind: "file",
        op: "write",
        where: { kind: "incus", instance: "web" },
        path: "/etc/app.cfg",
      }),
    ).toBe("# write /etc/app.cfg in incus instance web atomically (temp file + rename)");
    expect(renderAction({ kind: "sql", where: "veza@db", statement: "SELECT 1\n  FROM t" })).toBe(
      "# sql on veza@db: SELECT 1 FROM t",
    );
    expect(
      renderAction({ kind: "exec", where: { kind: "local" }, argv: ["psql", "-f", "-"], stdin: "SELECT 1;" }),
    ).toBe("psql -f - # with 9 bytes on stdin");
  });

  const comments: ReadonlyArray<readonly [string, Action]> = [
    ["a note", { kind: "note", text: "line1\ntouch x\r\n`touch x`" }],
    [
      "an exec somewhere else",
      { kind: "exec", where: { kind: "other", name: "a\ntouch x" }, argv: ["a\ntouch x"] },
    ],
    ["a write", { kind: "file", op: "write", where: { kind: "local" }, path: "/tmp/a\ntouch x" }],
    ["sql", { kind: "sql", where: "db\ntouch x", statement: "SELECT '\ntouch x'" }],
    ["a URL that curl would read as an option", { kind: "http", method: "GET", url: "-o/tmp/x" }],
    [
      "an incus instance named like an option",
      { kind: "exec", where: { kind: "incus", instance: "-x" }, argv: ["id"] },
    ],
    [
      "an ssh host named like an option",
      { kind: "exec", where: { kind: "ssh", host: "-oProxyCommand=touch x" }, argv: ["id"] },
    ],
  ];
  for (const [what, action] of comments) {
    it(`renders ${what} as one comment line that runs nothing`, () => {
      const line = renderAction(action);
      expect(line.startsWith("# ")).toBe(true);
      expect(line).not.toMatch(/[\n\r]/);
      expect(paste(line).stdout).toBe("");
      expect(existsSync(join(work, "x"))).toBe(false);
    });
  }

  it("cuts a long SQL statement", () => {
    const line = renderAction({ kind: "sql", where: "db", statement: `SELECT ${"x,".repeat(200)}1` });
    expect(line.length).toBeLessThan(200);
    expect(line.endsWith("…")).toBe(true);
  });
});
