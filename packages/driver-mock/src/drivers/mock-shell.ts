import type {
  DriverError,
  ExecLocation,
  Shell,
  ShellFiles,
  ShellResult,
  ShellRunOptions,
} from "@backflip/core";
import {
  absolutePathSchema,
  invalidInput,
  parseInput,
  parseShellRun,
  stdinBytes,
} from "@backflip/core/driver-kit";
import { err, ok, type Result, type ResultAsync } from "neverthrow";
import type { FleetOp } from "../fleet-ops";
import { type DiskImage, utf8 } from "../world/world-state";
import { runScript } from "./mini-sh";
import { abortedError, type FleetRuntime, opError, operation, realWait } from "./operation";
import { runProgram } from "./shell-programs";

const DEFAULT_MAX_OUTPUT = 16 * 1024 * 1024;

/** Which filesystem a shell works on, and whether it can run now. */
export type ShellTarget = () => Result<DiskImage, DriverError>;

/** Ends a simulated command early: its timeout passed or its signal fired. */
class Interrupt {
  constructor(readonly reason: "timeout" | "aborted") {}
}

/** Collects one output stream, keeping at most `max` bytes. */
class CappedStream {
  readonly #chunks: Uint8Array[] = [];
  #size = 0;
  cut = false;

  constructor(readonly max: number) {}

  write(text: string): void {
    if (this.#size >= this.max) {
      if (text !== "") this.cut = true;
      return;
    }
    const bytes = utf8(text);
    const room = this.max - this.#size;
    if (bytes.length > room) this.cut = true;
    const kept = bytes.length > room ? bytes.subarray(0, room) : bytes;
    this.#chunks.push(kept);
    this.#size += kept.length;
  }

  text(): string {
    return Buffer.concat(this.#chunks).toString("utf8");
  }
}

/**
 * A simulated {@link Shell}: runs a small set of programs (`SHELL_COMMANDS`) and a small
 * `sh` deterministically against one container's files (or the host's). `sleep` waits
 * in real time and moves the fleet clock by as much; `timeoutMs` and `signal` end it as
 * `timeout` / `aborted`. An unknown program exits 127.
 */
export class MockShell implements Shell {
  readonly files: ShellFiles;

  /** A shell named `name` whose ops are `<port>.*`, working on what `resolve` gives; `location` is what it stands for. */
  constructor(
    readonly name: string,
    readonly port: "shell" | "hostShell",
    readonly targetName: string,
    readonly location: ExecLocation,
    readonly runtime: FleetRuntime,
    readonly resolve: ShellTarget,
  ) {
    this.files = {
      readFile: (path) => this.#readFile(path),
      writeFileAtomic: (path, data, options) => this.#writeFile(path, data, options?.mode),
    };
  }

  #op(method: "run" | "readFile" | "writeFileAtomic"): FleetOp {
    return `${this.port}.${method}` as FleetOp;
  }

  run(argv: readonly string[], options?: ShellRunOptions): ResultAsync<ShellResult, DriverError> {
    const op = this.#op("run");
    const signal = options?.signal instanceof AbortSignal ? options.signal : undefined;
    return operation(
      this.runtime,
      { op, target: () => this.targetName, ...(signal ? { signal } : {}) },
      () => parseShellRun(`mock-${this.port}`, argv, options),
      async ({ argv: args, options: opts }) => {
        const image = this.resolve();
        if (image.isErr()) return err(image.error);
        const started = this.runtime.clock.epochMs();
        const deadline = opts.timeoutMs === undefined ? Number.POSITIVE_INFINITY : started + opts.timeoutMs;
        const sleep = async (ms: number) => {
          const now = this.runtime.clock.epochMs();
          const waitMs = Math.min(ms, deadline - now);
          const realStart = Date.now();
          const completed = await realWait(waitMs, opts.signal);
          if (!completed) {
            this.runtime.clock.advance(Math.min(waitMs, Date.now() - realStart));
            throw new Interrupt("aborted");
          }
          this.runtime.clock.advance(waitMs);
          if (ms > waitMs) throw new Interrupt("timeout");
        };
        const max = opts.maxOutputBytes ?? DEFAULT_MAX_OUTPUT;
        const stdout = new CappedStream(max);
        const stderr = new CappedStream(max);
        const stdin = stdinBytes(opts.stdin);
        let exitCode: number;
        try {
          exitCode = await runProgram(args, {
            image: image.value,
            stdin,
            env: opts.env ?? {},
            cwd: opts.cwd ?? "/",
            stdout: (t) => stdout.write(t),
            stderr: (t) => stderr.write(t),
            sleep,
            sh: runScript,
          });
        } catch (e) {
          if (!(e instanceof Interrupt)) throw e;
          return e.reason === "aborted"
            ? err(abortedError(op))
            : err(
                opError(op, "timeout", `${args[0]} did not finish within ${opts.timeoutMs} ms`, {
                  details: { timeoutMs: opts.timeoutMs },
                }),
              );
        }
        return ok({
          exitCode,
          signal: null,
          stdout: stdout.text(),
          stderr: stderr.text(),
          truncated: stdout.cut || stderr.cut,
          durationMs: this.runtime.clock.epochMs() - started,
        });
      },
    );
  }

  #readFile(path: string): ResultAsync<Uint8Array, DriverError> {
    const op = this.#op("readFile");
    return operation(
      this.runtime,
      { op, target: () => this.targetName },
      () => parseInput(absolutePathSchema, path, { driver: `mock-${this.port}`, op: "readFile" }),
      (p) =>
        this.resolve().andThen((image) => {
          const bytes = image.files.get(p);
          return bytes
            ? ok(new Uint8Array(bytes))
            : err(opError(op, "not_found", `${p}: no such file in ${this.targetName}`));
        }),
    );
  }

  #writeFile(path: string, data: string | Uint8Array, mode?: number): ResultAsync<void, DriverError> {
    const op = this.#op("writeFileAtomic");
    return operation(
      this.runtime,
      { op, target: () => this.targetName },
      () => {
        const p = parseInput(absolutePathSchema, path, {
          driver: `mock-${this.port}`,
          op: "writeFileAtomic",
        });
        if (p.isErr()) return err(p.error);
        if (typeof data !== "string" && !(data instanceof Uint8Array))
          return err(
            invalidInput(`mock-${this.port}`, "writeFileAtomic", "data: expected a string or bytes"),
          );
        if (mode !== undefined && !(Number.isInteger(mode) && mode >= 0 && mode <= 0o7777))
          return err(invalidInput(`mock-${this.port}`, "writeFileAtomic", "mode: expected 0 to 0o7777"));
        return ok(p.value);
      },
      (p) =>
        this.resolve().andThen((image) => {
          image.files.set(p, typeof data === "string" ? utf8(data) : new Uint8Array(data));
          const previous = image.meta.get(p);
          image.meta.set(p, { ...(previous ?? { uid: 0, gid: 0 }), mode: mode ?? previous?.mode ?? 0o644 });
          return ok(undefined);
        }),
    );
  }
}
