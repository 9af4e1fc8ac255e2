import type { DriverError, DriverErrorReason } from "@backflip/core";
import { driverError, isDriverError } from "@backflip/core";
import { errAsync, ResultAsync } from "neverthrow";
import type { IncusClient } from "./incus-client";
import { DRIVER } from "./incus-error";
import { memberUnavailable } from "./member-unavailable";
import { SftpFailure, SftpSession } from "./sftp-session";

const reasons: Readonly<Record<number, DriverErrorReason>> = {
  [-1]: "unavailable",
  2: "not_found",
  3: "unauthorized",
  8: "unsupported",
};

/** How long an unused session stays open: an open session keeps a process in the instance, which blocks a graceful stop. */
const IDLE_MS = 1000;

interface Open {
  readonly session: Promise<SftpSession>;
  idle?: ReturnType<typeof setTimeout>;
}

/**
 * One SFTP session per instance over Incus's `/1.0/instances/{name}/sftp`, opened on
 * first use, again after it broke, and closed after {@link IDLE_MS} unused (an open
 * session keeps a process in the instance, which would block its graceful stop). A file
 * operation is then one round trip on an open stream instead of an exec.
 */
export class InstanceSftp {
  readonly #client: IncusClient;
  readonly #open = new Map<string, Open>();

  /** Sessions opened through `client`. */
  constructor(client: IncusClient) {
    this.#client = client;
  }

  /**
   * Runs `fn` on the instance's session; an SFTP failure becomes a {@link DriverError}
   * (`not_found`, `unauthorized`, `unsupported`, `unavailable` when the session broke,
   * else `failed`) saying what was done to which path.
   */
  run<T>(
    op: string,
    instance: string,
    what: string,
    fn: (session: SftpSession) => Promise<T>,
  ): ResultAsync<T, DriverError> {
    const open = this.#session(op, instance);
    if (open.idle) clearTimeout(open.idle);
    const done = open.session.then(fn).finally(() => this.#idle(instance, open));
    return ResultAsync.fromPromise(done, (cause): DriverError => {
      if (isDriverError(cause)) return cause;
      const code = cause instanceof SftpFailure ? cause.code : -1;
      const text = cause instanceof Error ? cause.message : String(cause);
      return driverError({
        driver: DRIVER,
        op,
        reason: reasons[code] ?? "failed",
        message: `${what} in ${instance} failed: ${text}`,
        details: { instance, sftpStatus: code },
        ...(code === 2 ? { hint: `check the path (\`incus exec ${instance} -- ls -l <dir>\`)` } : {}),
      });
    });
  }

  /** Ends the instance's session now (before a stop, restart, restore or delete). */
  drop(instance: string): void {
    const open = this.#open.get(instance);
    if (!open) return;
    this.#open.delete(instance);
    if (open.idle) clearTimeout(open.idle);
    open.session.then((s) => s.end()).catch(() => undefined);
  }

  /** Ends every open session. */
  close(): void {
    for (const instance of [...this.#open.keys()]) this.drop(instance);
  }

  #idle(instance: string, open: Open): void {
    if (this.#open.get(instance) !== open) return;
    if (open.idle) clearTimeout(open.idle);
    open.idle = setTimeout(() => this.drop(instance), IDLE_MS);
    open.idle.unref();
  }

  #session(op: string, instance: string): Open {
    const current = this.#open.get(instance);
    if (current) return current;
    const path = `/1.0/instances/${encodeURIComponent(instance)}`;
    const session = this.#client
      .upgrade(op, `${path}/sftp`, "sftp")
      // A refused upgrade says little: the instance itself tells why (missing, on a member that is down, …).
      .orElse((e) =>
        this.#client
          .send(op, { method: "GET", path })
          .andThen(() => errAsync(e))
          .orElse((why) =>
            memberUnavailable(this.#client, op, instance, why).andThen((named) => errAsync(named)),
          ),
      )
      .match(
        (stream) => SftpSession.open(stream),
        (e): Promise<SftpSession> => Promise.reject(e),
      )
      .then(async (opening) => {
        const s = await opening;
        // A session that breaks (the instance stopped) is forgotten: the next use opens one.
        s.onEnd(() => {
          if (this.#open.get(instance) === open) this.#open.delete(instance);
        });
        return s;
      });
    const open: Open = { session };
    session.catch(() => {
      if (this.#open.get(instance) === open) this.#open.delete(instance);
    });
    this.#open.set(instance, open);
    return open;
  }
}
