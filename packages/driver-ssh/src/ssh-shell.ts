import type { DriverError, ExecLocation, Shell, ShellResult, ShellRunOptions } from "@backflip/core";
import { parseInput, parseShellRun } from "@backflip/core/driver-kit";
import { err, errAsync, type Result, ResultAsync } from "neverthrow";
import { ChannelSlots } from "./channel-slots";
import { endpointLabel } from "./connect-endpoint";
import { forwardUnixSocket, type UnixSocketForward } from "./forward-unix-socket";
import { remoteCommand } from "./remote-command";
import { runOnChannel } from "./run-on-channel";
import { DRIVER, sshError } from "./ssh-error";
import { SshLink } from "./ssh-link";
import { type SshShellOptions, sshShellOptionsSchema } from "./ssh-shell-options";

/**
 * A {@link Shell} over SSH (ssh2): one verified connection reused for many commands, a
 * channel each. Host keys are always verified (known_hosts or a pinned fingerprint);
 * key authentication only, optionally through an agent or a jump host. A timeout or
 * abort signals the remote process group (TERM, then KILL) and closes its channel; a
 * dropped connection is re-opened by the next command. Build one with {@link createSshShell}.
 */
export class SshShell implements Shell {
  /** Name in messages and events, e.g. `ssh:ops@10.0.0.5` (never holds a secret). */
  readonly name: string;
  /** `ssh [-p N] [-J jump] user@host --`: where a dry run says its commands run. */
  readonly location: ExecLocation;
  readonly #link: SshLink;
  readonly #slots: ChannelSlots;
  readonly #killGraceMs: number;

  private constructor(options: SshShellOptions) {
    const via = options.jump === undefined ? "" : ` via ${endpointLabel(options.jump)}`;
    this.name = options.name ?? `ssh:${endpointLabel(options)}${via}`;
    this.location = {
      kind: "ssh",
      host: options.host,
      user: options.username,
      ...(options.port === undefined || options.port === 22 ? {} : { port: options.port }),
      ...(options.jump === undefined ? {} : { jump: endpointLabel(options.jump) }),
    };
    this.#link = new SshLink(options, options.jump, {
      keepaliveIntervalMs: options.keepaliveIntervalMs ?? 15_000,
      keepaliveCountMax: options.keepaliveCountMax ?? 3,
      connectTimeoutMs: options.connectTimeoutMs ?? 20_000,
    });
    this.#slots = new ChannelSlots(options.maxChannels ?? 8);
    this.#killGraceMs = options.killGraceMs ?? 2000;
  }

  /** Validates the options (nothing connects yet); see {@link createSshShell}. */
  static create(options: SshShellOptions): Result<SshShell, DriverError> {
    return parseInput(sshShellOptionsSchema, options, {
      driver: DRIVER,
      op: "options",
      hint: "fix the named SSH option",
    }).map(() => new SshShell(options));
  }

  /** Connections opened so far: 1 while the first one lives, more after drops. */
  get connectionsOpened(): number {
    return this.#link.connects;
  }

  /** Runs `argv[0]` with its arguments on the remote host; a non-zero exit is a result, not an error. */
  run(argv: readonly string[], options?: ShellRunOptions): ResultAsync<ShellResult, DriverError> {
    const call = parseShellRun(DRIVER, argv, options).andThen((c) =>
      remoteCommand(c.argv, c.options).map((command) => ({ ...c, command })),
    );
    if (call.isErr()) return errAsync(call.error);
    const { command, options: opts } = call.value;
    const program = call.value.argv[0] ?? "";
    if (opts.signal?.aborted) {
      return errAsync(
        sshError(
          "run",
          "aborted",
          `\`${program}\` on ${this.name} was not started: the run was already aborted`,
          {
            details: { program },
          },
        ),
      );
    }
    return ResultAsync.fromSafePromise(this.#execute(command, program, opts)).andThen((r) => r);
  }

  /**
   * Listens on the local unix socket `localPath` and carries each connection to the unix
   * socket `remotePath` on the host, over this shell's connection (like
   * `ssh -L localPath:remotePath`): e.g. the Incus API of a remote host for driver-incus.
   * Close the forward before the shell.
   */
  forwardUnixSocket(remotePath: string, localPath: string): ResultAsync<UnixSocketForward, DriverError> {
    return forwardUnixSocket(this.#link, this.name, remotePath, localPath);
  }

  /** Closes the connection; a later `run` opens a new one. */
  close(): ResultAsync<void, DriverError> {
    return ResultAsync.fromSafePromise(this.#link.close());
  }

  async #execute(
    command: string,
    program: string,
    opts: ShellRunOptions,
  ): Promise<Result<ShellResult, DriverError>> {
    const release = await this.#slots.take();
    try {
      for (let attempt = 1; ; attempt++) {
        const link = await abortable(this.#link.acquire(), opts.signal, () =>
          sshError("run", "aborted", `\`${program}\` on ${this.name} was aborted while connecting`, {
            details: { program },
          }),
        );
        if (link.isErr()) return err(link.error);
        if (opts.signal?.aborted) {
          return err(
            sshError("run", "aborted", `\`${program}\` on ${this.name} was aborted before it started`, {
              details: { program },
            }),
          );
        }
        const outcome = await runOnChannel(link.value.client, command, opts, {
          shellName: this.name,
          program,
          killGraceMs: this.#killGraceMs,
        });
        if (outcome.kind === "finished") return outcome.result;
        // The channel never opened, so nothing ran: on a dead connection, reconnect once.
        if (!link.value.closed || attempt >= 2) return err(outcome.error);
        this.#link.discard(link.value);
      }
    } finally {
      release();
    }
  }
}

/** Validates SSH options into an {@link SshShell}; `invalid_input` names the bad field (never a key). */
export function createSshShell(options: SshShellOptions): Result<SshShell, DriverError> {
  return SshShell.create(options);
}

function abortable<T>(
  work: Promise<Result<T, DriverError>>,
  signal: AbortSignal | undefined,
  aborted: () => DriverError,
): Promise<Result<T, DriverError>> {
  if (signal === undefined) return work;
  return new Promise((resolve) => {
    const onAbort = () => resolve(err(aborted()));
    signal.addEventListener("abort", onAbort, { once: true });
    work.then((r) => {
      signal.removeEventListener("abort", onAbort);
      resolve(r);
    });
  });
}
