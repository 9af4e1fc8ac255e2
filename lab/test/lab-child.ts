import { type ChildProcessByStdio, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Readable, Writable } from "node:stream";
import { fileURLToPath } from "node:url";

const repoRoot = fileURLToPath(new URL("../../", import.meta.url));
const runner = join(repoRoot, "lab/src/lab-run-recipe.ts");

/** The events of a journal file's complete lines (a torn last line left out). */
export function journalEvents(file: string): Array<{ type: string; stepId?: string }> {
  if (!existsSync(file)) return [];
  const text = readFileSync(file, "utf8");
  const complete = text.slice(0, text.lastIndexOf("\n") + 1);
  return complete
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => (JSON.parse(line) as { event: { type: string; stepId?: string } }).event);
}

/** What the child runner printed last: its run's outcome. */
export interface ChildResult {
  readonly runId: string;
  readonly state?: string;
  readonly kind?: string;
  readonly owner?: string;
  readonly stale?: boolean;
  readonly message?: string;
}

/** How a child run starts. */
export interface ChildOptions {
  readonly gate?: boolean;
  readonly ttlMs?: number;
  readonly owner?: string;
  readonly sha?: string;
  /** Journal and lease on the team's Incus anchors under this prefix instead of files under `dir`. */
  readonly incusPrefix?: string;
}

/** How a child ended: its exit code or signal, and its result line when it printed one. */
export interface ChildExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly result: ChildResult | null;
  readonly stderr: string;
}

/**
 * A recipe run in its own process (`lab/src/lab-run-recipe.ts`), watched from the test:
 * with `gate`, the child stops after each journaled record until {@link LabChild.go},
 * so the test decides between two records whether to let it go on or to kill it.
 */
export class LabChild {
  readonly runId: string;
  readonly journalFile: string;
  readonly #proc: ChildProcessByStdio<Writable, Readable, Readable>;
  readonly #exit: Promise<ChildExit>;
  readonly #waiters: Array<(type: string | null) => void> = [];
  readonly #pending: string[] = [];
  #done = false;

  /** Starts `recipe` with its journal and locks under `dir`. */
  constructor(
    recipe: "fast-flip" | "redeploy" | "fleet-flip",
    dir: string,
    runId: string,
    options: ChildOptions = {},
  ) {
    this.runId = runId;
    this.journalFile = join(dir, "journal", `${runId}.jsonl`);
    const argv = [
      "--import",
      "tsx",
      runner,
      recipe,
      dir,
      runId,
      ...(options.gate ? ["--gate"] : []),
      ...(options.ttlMs === undefined ? [] : ["--ttl-ms", String(options.ttlMs)]),
      ...(options.owner === undefined ? [] : ["--owner", options.owner]),
      ...(options.sha === undefined ? [] : ["--sha", options.sha]),
      ...(options.incusPrefix === undefined ? [] : ["--incus-prefix", options.incusPrefix]),
    ];
    this.#proc = spawn(process.execPath, argv, { cwd: repoRoot, stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    let err = "";
    let result: ChildResult | null = null;
    this.#proc.stderr.on("data", (chunk: Buffer) => {
      err += chunk.toString();
    });
    this.#proc.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      for (let nl = out.indexOf("\n"); nl >= 0; nl = out.indexOf("\n")) {
        const line = out.slice(0, nl);
        out = out.slice(nl + 1);
        if (line.startsWith("record ")) this.#push(line.slice("record ".length));
        else if (line.startsWith("result ")) result = JSON.parse(line.slice("result ".length)) as ChildResult;
      }
    });
    this.#proc.stdin.on("error", () => undefined);
    this.#exit = new Promise((resolve) => {
      this.#proc.on("close", (code, signal) => {
        this.#done = true;
        for (const w of this.#waiters.splice(0)) w(null);
        resolve({ code, signal, result, stderr: err });
      });
    });
  }

  #push(type: string) {
    const waiter = this.#waiters.shift();
    if (waiter) waiter(type);
    else this.#pending.push(type);
  }

  /** The type of the next journaled record (gated child: it is now waiting), or `null` when the child ended. */
  nextRecord(): Promise<string | null> {
    const queued = this.#pending.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (this.#done) return Promise.resolve(null);
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Lets a gated child go on past the record it stopped at. */
  go(): void {
    if (!this.#done) this.#proc.stdin.write("g");
  }

  /** SIGKILL, then waits until the process is gone. */
  async kill(): Promise<ChildExit> {
    this.#proc.kill("SIGKILL");
    return this.#exit;
  }

  /** Waits for the child to end on its own. */
  exited(): Promise<ChildExit> {
    return this.#exit;
  }

  /** The complete records in the child's journal file right now (0 when there is none). */
  journalLength(): number {
    return journalEvents(this.journalFile).length;
  }

  /**
   * Runs a gated child on until its journal holds `n` records, then kills it (SIGKILL)
   * while it waits; the whole run (never killed) when `n` is past its end. The records'
   * types in order, and how many the journal held at the kill.
   */
  async killAtRecord(n: number): Promise<{ types: string[]; journaled: number; exit: ChildExit }> {
    const types: string[] = [];
    for (;;) {
      const type = await this.nextRecord();
      if (type === null) return { types, journaled: this.journalLength(), exit: await this.#exit };
      types.push(type);
      if (types.length === n) {
        const journaled = this.journalLength();
        return { types, journaled, exit: await this.kill() };
      }
      this.go();
    }
  }

  /**
   * Runs a gated child on until `stepId` starts, lets it go on freely until the step's end
   * record, and kills it (SIGKILL) `delayMs` after the start: a point inside the step, or
   * just after its end when the step was quicker. The journal's length and its last record
   * at the kill.
   */
  async killInStep(
    stepId: string,
    delayMs: number,
  ): Promise<{ journaled: number; last: string; exit: ChildExit }> {
    for (;;) {
      const type = await this.nextRecord();
      if (type === null) throw new Error(`the child ended before step ${stepId} started`);
      this.go();
      if (type === `step.started ${stepId}`) break;
    }
    // Free until the step ends; a kill that comes later lands right after its end record.
    const free = (async () => {
      for (let t = await this.nextRecord(); t !== null; t = await this.nextRecord()) {
        if (t === `step.succeeded ${stepId}` || t === `step.failed ${stepId}`) return;
        this.go();
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    const exit = await this.kill();
    await free;
    const events = journalEvents(this.journalFile);
    const lastEvent = events[events.length - 1];
    return {
      journaled: events.length,
      last: `${lastEvent?.type ?? "-"}${lastEvent?.stepId ? ` ${lastEvent.stepId}` : ""}`,
      exit,
    };
  }
}
