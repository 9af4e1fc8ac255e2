import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../../../", import.meta.url));

/**
 * Starts `node --import tsx <script> <json input>` from the repository root, with its
 * own fresh local dir as HOME and TMPDIR (a separate machine's local state).
 */
export async function spawnChild(script: string, input: unknown): Promise<ChildProcessWithoutNullStreams> {
  const home = await mkdtemp(join(tmpdir(), "backflip-etcd-laptop-"));
  return spawn(
    process.execPath,
    ["--import", "tsx", fileURLToPath(new URL(script, import.meta.url)), JSON.stringify(input)],
    {
      cwd: ROOT,
      env: { ...process.env, HOME: home, TMPDIR: home },
      stdio: ["pipe", "pipe", "pipe"],
    },
  );
}

/** A child that prints `ready`, then waits for `go` on stdin before it acts. */
export interface GatedChild {
  /** Resolves once the child printed `ready`. */
  readonly ready: Promise<void>;
  /** Lets it act. */
  go(): void;
  /** Its stdout after `ready`, once it exited 0 (rejects with its stderr otherwise). */
  readonly output: Promise<string>;
}

/** Wraps a child started by {@link spawnChild} that follows the ready/go protocol. */
export function gated(child: ChildProcessWithoutNullStreams): GatedChild {
  let out = "";
  let err = "";
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });
  child.stdout.on("data", (c: Buffer) => {
    out += c.toString();
    if (out.startsWith("ready\n")) markReady();
  });
  child.stderr.on("data", (c: Buffer) => {
    err += c.toString();
  });
  const output = new Promise<string>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0 ? resolve(out.slice("ready\n".length)) : reject(new Error(`child exited ${code}: ${err}`)),
    );
  });
  return { ready, go: () => child.stdin.end("go\n"), output };
}
