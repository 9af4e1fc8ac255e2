import type { DriverError } from "@backflip/core";
import type { ResultAsync } from "neverthrow";

/**
 * A connection to one HAProxy CLI socket (the stats socket's runtime API, or the master
 * CLI). One request line per call, in HAProxy's non-interactive mode: commands separated
 * by `;`, the whole reply returned once HAProxy closes the connection.
 */
export interface RuntimeApi {
  /** Where requests go, for messages, e.g. `socat:/run/haproxy/admin.sock via ssh:ops@host`. */
  readonly name: string;
  /** Sends one request line and returns HAProxy's reply. `unavailable` when the socket cannot be reached. */
  send(line: string): ResultAsync<string, DriverError>;
}

/** Opens a {@link RuntimeApi} to a socket path on the HAProxy host: the transport is a capability the caller picks. */
export type RuntimeApiFactory = (socketPath: string) => RuntimeApi;
