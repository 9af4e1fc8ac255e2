import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { main } from "./main";

const CANARY = "Canary-7f3a91-Secret";

/** A config that is not SQL, holding a secret (like /etc/haproxy/haproxy.cfg with `stats auth`). */
const NOT_SQL = `global
\tlog /dev/log local0
\tstats socket /run/haproxy/admin.sock mode 660 level admin
defaults
\tmode http
listen stats
\tbind :8404
\tstats auth admin:${CANARY}
`;

/** Runs the CLI in-process on the simulated fleet in `dir`; every line it printed. */
async function run(dir: string, ...args: string[]): Promise<{ code: number; printed: string }> {
  const lines: string[] = [];
  const code = await main(
    ["inverse-sql", "--state-dir", dir, "--reason", "file test", "--actor", "tester", ...args],
    (l) => lines.push(l),
    (l) => lines.push(l),
  );
  return { code, printed: lines.join("\n") };
}

/** Every file under `dir` (journal, lock, simulated world), as text. */
async function allText(dir: string): Promise<string> {
  const names = await readdir(dir, { recursive: true, withFileTypes: true });
  const texts = await Promise.all(
    names.filter((n) => n.isFile()).map((n) => readFile(join(n.parentPath, n.name), "utf8")),
  );
  return texts.join("\n");
}

describe("rollback inverse-sql --file: what it reads and what it says about it", () => {
  it("a file that is not SQL fails the run without its content in any message, event or journal line", async () => {
    const dir = await mkdtemp(join(tmpdir(), "rollback-cli-file-"));
    const file = join(dir, "haproxy.cfg");
    await writeFile(file, NOT_SQL, { mode: 0o600 });
    for (const json of [[], ["--json"]]) {
      const ran = await run(join(dir, `state${json.length}`), "--file", file, ...json);
      expect(ran.code).not.toBe(0);
      for (const piece of [CANARY, "global", "/dev/log", "local0", "/run/haproxy", "8404"])
        expect(ran.printed, piece).not.toContain(piece);
      expect(ran.printed).toContain("the inverse SQL failed");
      expect(await allText(join(dir, `state${json.length}`))).not.toContain(CANARY);
    }
  });

  it("refuses a directory, a device and a FIFO without reading them, saying what it expected", async () => {
    const dir = await mkdtemp(join(tmpdir(), "rollback-cli-file-"));
    const fifo = join(dir, "pipe.sql");
    execFileSync("mkfifo", [fifo]);
    await mkdir(join(dir, "a-dir.sql"));
    const cases: [string, string][] = [
      [join(dir, "a-dir.sql"), "it is a directory"],
      ["/dev/zero", "it is a character device"],
      [fifo, "it is a FIFO"],
    ];
    for (const [file, kind] of cases) {
      const ran = await run(join(dir, "state"), "--file", file, "--dry-run");
      expect(ran.code, file).toBe(2);
      expect(ran.printed).toContain(kind);
      expect(ran.printed).toContain(
        "expected a regular file of inverse SQL: UTF-8 text, at most 1000000 bytes",
      );
    }
  }, 20_000);

  it("refuses a file over the limit, naming its size and the limit, and one that is not UTF-8", async () => {
    const dir = await mkdtemp(join(tmpdir(), "rollback-cli-file-"));
    const big = join(dir, "big.sql");
    await writeFile(big, `SELECT 1;\n-- ${CANARY}\n${"-".repeat(1_000_000)}\n`);
    const large = await run(join(dir, "state"), "--file", big, "--dry-run");
    expect(large.code).toBe(2);
    expect(large.printed).toContain("more than the limit of 1000000");
    expect(large.printed).not.toContain(CANARY);

    const binary = join(dir, "binary.sql");
    await writeFile(binary, Buffer.from([0x53, 0x45, 0x4c, 0xff, 0xfe, 0x00, 0x3b]));
    const notText = await run(join(dir, "state"), "--file", binary, "--dry-run");
    expect(notText.code).toBe(2);
    expect(notText.printed).toContain("it is not UTF-8 text");
  });

  it("still plans a regular SQL file", async () => {
    const dir = await mkdtemp(join(tmpdir(), "rollback-cli-file-"));
    const file = join(dir, "inverse.sql");
    await writeFile(file, "ALTER TABLE users ADD COLUMN legacy_name text;\n");
    const ran = await run(join(dir, "state"), "--file", file, "--dry-run");
    expect(ran.code).toBe(0);
    expect(ran.printed).toContain("Apply the inverse SQL (1 line) in one transaction");
  });
});
