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
  /**
   * Optional, stats socket only: a {@link RuntimeSession}, several requests on one
   * connection. Without it, the driver sends each request of a sequence with `send`.
   */
  session?(): RuntimeSession;
}

/**
 * Requests to the stats socket that share one connection (HAProxy's interactive
 * `prompt` mode), for a sequence such as prepare/add/commit map: no connection set up and
 * torn down per request. Each reply is what `send` would return for the same line. Not
 * for the master CLI (another prompt) nor across a reload (the connection stays with the
 * old worker).
 */
export interface RuntimeSession {
  /** Sends one request line (commands separated by `;`, none of them containing one). */
  send(line: string): ResultAsync<string, DriverError>;
  /** Closes the connection; a later `send` opens a new one. */
  close(): void;
}

/** A {@link RuntimeSession} of `api`: its own when it has one, else one `send` per request. */
export function openSession(api: RuntimeApi): RuntimeSession {
  return api.session?.() ?? { send: (line) => api.send(line), close: () => undefined };
}

/** Runs `use` on a session of `api`, closed once `use` has answered. */
export function inSession<T>(
  api: RuntimeApi,
  use: (session: RuntimeSession) => ResultAsync<T, DriverError>,
): ResultAsync<T, DriverError> {
  const session = openSession(api);
  return use(session)
    .map((value) => {
      session.close();
      return value;
    })
    .mapErr((e) => {
      session.close();
      return e;
    });
}

/** Opens a {@link RuntimeApi} to a socket path on the HAProxy host: the transport is a capability the caller picks. */
export type RuntimeApiFactory = (socketPath: string) => RuntimeApi;
