import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../../../", import.meta.url));

/**
 * A child process (`node --import tsx <script> <json input>`, from the repository root,
 * its own fresh HOME and TMPDIR: another machine's local state) spoken to in lines.
 */
export class LineChild {
  readonly #proc: ChildProcessWithoutNullStreams;
  readonly #lines: string[] = [];
  readonly #waiters: Array<(line: string | null) => void> = [];
  readonly #exit: Promise<{ code: number | null; stderr: string }>;
  #done = false;

  /** Starts `script` (relative to this directory) with `input`. */
  constructor(script: string, input: unknown) {
    const home = mkdtempSync(join(tmpdir(), "backflip-incus-laptop-"));
    this.#proc = spawn(
      process.execPath,
      ["--import", "tsx", fileURLToPath(new URL(script, import.meta.url)), JSON.stringify(input)],
      { cwd: ROOT, env: { ...process.env, HOME: home, TMPDIR: home }, stdio: ["pipe", "pipe", "pipe"] },
    );
    let out = "";
    let stderr = "";
    this.#proc.stderr.on("data", (c: Buffer) => {
      stderr += c.toString();
    });
    this.#proc.stdout.on("data", (c: Buffer) => {
      out += c.toString();
      for (let nl = out.indexOf("\n"); nl >= 0; nl = out.indexOf("\n")) {
        const line = out.slice(0, nl);
        out = out.slice(nl + 1);
        const waiter = this.#waiters.shift();
        if (waiter) waiter(line);
        else this.#lines.push(line);
      }
    });
    this.#proc.stdin.on("error", () => undefined);
    this.#exit = new Promise((resolve) => {
      this.#proc.on("close", (code) => {
        this.#done = true;
        for (const w of this.#waiters.splice(0)) w(null);
        resolve({ code, stderr });
      });
    });
  }

  /** The next line it printed, or `null` once it exited. */
  next(): Promise<string | null> {
    const line = this.#lines.shift();
    if (line !== undefined) return Promise.resolve(line);
    if (this.#done) return Promise.resolve(null);
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Writes one line to its stdin. */
  send(line: string): void {
    this.#proc.stdin.write(`${line}\n`);
  }

  /** Closes its stdin and waits for it to exit. */
  async end(): Promise<{ code: number | null; stderr: string }> {
    this.#proc.stdin.end();
    return this.#exit;
  }
}
