import type { DriverError } from "@backflip/core";
import { invalidInput, lazySchema, localPathSchema, parseInput } from "@backflip/core/driver-kit";
import { err, ok, type Result } from "neverthrow";
import { Agent, type Dispatcher } from "undici";
import * as z from "zod";
import { IncusClient } from "./incus-client";
import { DRIVER } from "./incus-error";
import { IncusHost } from "./incus-host";
import { type IncusTlsOptions, incusTlsConnectOptions } from "./incus-tls";
import { incusSocketPath } from "./socket-path";

/** How to reach Incus: the local socket (default) or a remote over HTTPS. */
export interface IncusHostOptions {
  /** The local unix socket; default: `$INCUS_SOCKET`, `$INCUS_DIR/unix.socket`, `/var/lib/incus/unix.socket`. */
  readonly socketPath?: string;
  /** A remote server, e.g. `https://incus.example.net:8443`; needs {@link IncusHostOptions.tls}. */
  readonly endpoint?: string;
  /** Client certificate and server verification for {@link IncusHostOptions.endpoint}. */
  readonly tls?: IncusTlsOptions;
  /** The Incus project (`?project=` on every request). @default "default" */
  readonly project?: string;
  /** Seconds to wait for start, snapshot, restore and delete operations. @default 60 */
  readonly timeoutS?: number;
  /** Seconds a graceful stop may take before Incus gives up (`incus stop --timeout`). @default 30 */
  readonly stopTimeoutS?: number;
  /** After a shell timeout or abort, milliseconds between SIGTERM and SIGKILL. @default 2000 */
  readonly killGraceMs?: number;
  /**
   * Your own undici dispatcher (e.g. a `MockAgent` in tests, or a shared `Agent`). It must
   * already reach the socket or endpoint; `tls` is then not applied. Closed by `close()`.
   */
  readonly dispatcher?: Dispatcher;
}

const optionsSchema = lazySchema(() =>
  z
    .object({
      socketPath: localPathSchema.optional(),
      endpoint: z
        .url({
          protocol: /^https$/,
          error: "endpoint must be an https:// URL, e.g. https://incus.example.net:8443",
        })
        .optional(),
      tls: z
        .object({
          cert: z.string(),
          key: z.string(),
          serverCert: z.string().optional(),
          ca: z.string().optional(),
        })
        .optional(),
      project: z
        .string()
        .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/, "expected an Incus project name like default or veza")
        .optional(),
      timeoutS: z.number().int().positive().max(86_400).optional(),
      stopTimeoutS: z.number().int().positive().max(86_400).optional(),
      killGraceMs: z.number().int().nonnegative().max(60_000).optional(),
      dispatcher: z
        .custom<Dispatcher>((v) => typeof v === "object" && v !== null && "dispatch" in v)
        .optional(),
    })
    .strict(),
);

/** The options that say how to reach Incus (socket or endpoint, TLS, project, dispatcher). */
export const incusConnectionSchema = lazySchema(() =>
  optionsSchema.pick({
    socketPath: true,
    endpoint: true,
    tls: true,
    project: true,
    dispatcher: true,
  }),
);

/**
 * Builds an {@link IncusHost}: over the local unix socket by default, or over HTTPS to
 * `endpoint` with a client certificate (TLS 1.3 minimum, server certificate pinned or
 * verified against a CA). Options are validated first: `invalid_input` names the field.
 * Nothing is sent until the first call.
 *
 * @example
 * const host = createIncusHost({ project: "default" })._unsafeUnwrap();
 * const blue = await host.list({ pattern: "veza-staging-{backend,stream,web}-blue" });
 */
export function createIncusHost(options: IncusHostOptions = {}): Result<IncusHost, DriverError> {
  return parseInput(optionsSchema, options, { driver: DRIVER, op: "connect" }).andThen((o) => {
    return incusConnection(o).map(
      (c) =>
        new IncusHost(new IncusClient({ ...c, project: o.project ?? "default" }), {
          timeoutS: o.timeoutS ?? 60,
          stopTimeoutS: o.stopTimeoutS ?? 30,
          killGraceMs: o.killGraceMs ?? 2000,
        }),
    );
  });
}

type Connection = { dispatcher: Dispatcher; origin: string; endpoint: string };

/** How to reach Incus for validated options: the local socket, or a remote over HTTPS (one of them). */
export function incusConnection(
  o: Pick<IncusHostOptions, "socketPath" | "endpoint" | "tls" | "dispatcher">,
): Result<Connection, DriverError> {
  if (o.endpoint !== undefined && o.socketPath !== undefined) {
    return err(invalidInput(DRIVER, "connect", "give either socketPath or endpoint, not both"));
  }
  return o.endpoint === undefined
    ? local(o.socketPath ?? incusSocketPath(), o.dispatcher)
    : remote(o.endpoint, o.tls, o.dispatcher);
}

function local(socketPath: string, dispatcher: Dispatcher | undefined): Result<Connection, DriverError> {
  return ok({
    dispatcher: dispatcher ?? new Agent({ connect: { socketPath } }),
    origin: "http://unix.socket",
    endpoint: socketPath,
  });
}

function remote(
  endpoint: string,
  tls: IncusTlsOptions | undefined,
  dispatcher: Dispatcher | undefined,
): Result<Connection, DriverError> {
  const origin = new URL(endpoint).origin;
  if (dispatcher !== undefined) return ok({ dispatcher, origin, endpoint: origin });
  if (tls === undefined) {
    return err(
      invalidInput(
        DRIVER,
        "connect",
        "tls: a remote endpoint needs a client certificate (tls.cert, tls.key)",
      ),
    );
  }
  return incusTlsConnectOptions(tls).map((connect) => ({
    dispatcher: new Agent({ connect }),
    origin,
    endpoint: origin,
  }));
}
