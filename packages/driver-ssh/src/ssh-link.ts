import type { DriverError } from "@backflip/core";
import { err, ok, type Result } from "neverthrow";
import type { Client, ClientChannel } from "ssh2";
import { connectEndpoint, endpointLabel, type LinkSettings } from "./connect-endpoint";
import { safeCause, sshError } from "./ssh-error";
import type { SshEndpoint } from "./ssh-shell-options";

/** One live connection to the target (and its jump host, when there is one). */
export interface Link {
  readonly client: Client;
  /** True once the connection closed or failed: the next command reconnects. */
  readonly closed: boolean;
}

interface MutableLink extends Link {
  closed: boolean;
  readonly jump: Client | undefined;
}

/**
 * Keeps one SSH connection to a target and hands it out for many commands (a channel
 * each). Connects lazily, notices a drop (close, error, keepalive timeout) and
 * reconnects on the next {@link SshLink.acquire}; concurrent callers share one connect.
 */
export class SshLink {
  readonly #target: SshEndpoint;
  readonly #jump: SshEndpoint | undefined;
  readonly #settings: LinkSettings;
  #current: MutableLink | undefined;
  #connecting: Promise<Result<MutableLink, DriverError>> | undefined;
  #connects = 0;

  /** Settles the endpoints; nothing connects until the first {@link acquire}. */
  constructor(target: SshEndpoint, jump: SshEndpoint | undefined, settings: LinkSettings) {
    this.#target = target;
    this.#jump = jump;
    this.#settings = settings;
  }

  /** How many connections were opened so far (1 while the first one lives). */
  get connects(): number {
    return this.#connects;
  }

  /** The live connection, connecting (or reconnecting after a drop) first when needed. */
  acquire(): Promise<Result<Link, DriverError>> {
    if (this.#current !== undefined && !this.#current.closed) return Promise.resolve(ok(this.#current));
    this.#connecting ??= this.#open().finally(() => {
      this.#connecting = undefined;
    });
    return this.#connecting;
  }

  /** Forgets a connection that failed to open a channel, closing it. */
  discard(link: Link): void {
    const current = this.#current;
    if (current === undefined || current.client !== link.client) return;
    this.#current = undefined;
    current.closed = true;
    current.client.end();
    current.jump?.end();
  }

  /** Closes the connection (running commands end with it). */
  close(): Promise<void> {
    const current = this.#current;
    this.#current = undefined;
    if (current === undefined || current.closed) return Promise.resolve();
    return new Promise((resolve) => {
      current.client.once("close", () => resolve());
      current.client.end();
      current.jump?.end();
      setTimeout(resolve, 2000).unref();
    });
  }

  async #open(): Promise<Result<MutableLink, DriverError>> {
    let jumpClient: Client | undefined;
    let sock: ClientChannel | undefined;
    if (this.#jump !== undefined) {
      const jump = await connectEndpoint(this.#jump, this.#settings, "jump host");
      if (jump.isErr()) return err(jump.error);
      jumpClient = jump.value;
      jumpClient.on("error", () => {
        // After ready, a failed jump shows as the target's close; nothing to add here.
      });
      const forward = await forwardOut(jumpClient, this.#target, this.#jump);
      if (forward.isErr()) {
        jumpClient.end();
        return err(forward.error);
      }
      sock = forward.value;
    }
    const target = await connectEndpoint(this.#target, this.#settings, "target", sock);
    if (target.isErr()) {
      jumpClient?.end();
      return err(target.error);
    }
    const link: MutableLink = { client: target.value, jump: jumpClient, closed: false };
    const drop = () => {
      link.closed = true;
      if (this.#current === link) this.#current = undefined;
      jumpClient?.end();
    };
    link.client.on("close", drop);
    link.client.on("end", drop);
    link.client.on("error", drop);
    jumpClient?.on("close", () => {
      drop();
      link.client.end();
    });
    this.#connects += 1;
    this.#current = link;
    return ok(link);
  }
}

function forwardOut(
  jump: Client,
  target: SshEndpoint,
  via: SshEndpoint,
): Promise<Result<ClientChannel, DriverError>> {
  const port = target.port ?? 22;
  return new Promise((resolve) => {
    try {
      jump.forwardOut("127.0.0.1", 0, target.host, port, (error, stream) => {
        if (error) {
          const prohibited = /prohibited/i.test(error.message);
          resolve(
            err(
              sshError(
                "connect",
                prohibited ? "unauthorized" : "unavailable",
                `jump host ${endpointLabel(via)} could not reach ${target.host}:${port}: ${error.message}`,
                {
                  hint: prohibited
                    ? "the jump host forbids TCP forwarding (AllowTcpForwarding in its sshd_config)"
                    : "check that the target is reachable from the jump host",
                  cause: safeCause(error),
                },
              ),
            ),
          );
        } else resolve(ok(stream));
      });
    } catch (error) {
      resolve(
        err(
          sshError("connect", "unavailable", `jump host ${endpointLabel(via)} dropped the connection`, {
            cause: safeCause(error),
          }),
        ),
      );
    }
  });
}
