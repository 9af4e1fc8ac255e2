import { type DriverError, type DriverErrorReason, driverError } from "@backflip/core";

/** The driver name in every {@link DriverError} this package returns. */
export const DRIVER = "incus";

/**
 * Maps an Incus error (the envelope's `error_code` or HTTP status, and its message) onto a
 * {@link DriverErrorReason}: 401/403 `unauthorized`, 404 `not_found`, 409/412 `conflict`,
 * a 400 about the instance's state (`Instance is running`, `already stopped`, …) `conflict`,
 * other 400s `invalid_input`, 502–504 `unavailable`, the rest `failed`. Operation errors
 * carry no code of their own; their message decides (`not found`, `does not exist`, state).
 */
export function classifyIncusError(code: number, message: string): DriverErrorReason {
  if (code === 401 || code === 403) return "unauthorized";
  if (code === 404) return "not_found";
  if (code === 409 || code === 412) return "conflict";
  if (/\bnot found\b|\bdoes(?: not|n't) exist\b/i.test(message)) return "not_found";
  if (/\b(?:is|already) (?:not )?(?:running|stopped|frozen)\b|\balready exists\b/i.test(message))
    return "conflict";
  if (code === 400) return "invalid_input";
  if (code === 502 || code === 503 || code === 504) return "unavailable";
  return "failed";
}

const HINTS: Partial<Record<DriverErrorReason, string>> = {
  unauthorized:
    "the Incus server does not trust this client: add its certificate with `incus config trust add-certificate` (or use the local socket as root)",
  not_found: "check the name and project with `incus list` (and `incus snapshot list NAME` for snapshots)",
  conflict: "the instance is not in the state this operation needs: check it with `incus list NAME -c n,s`",
  unavailable: "the Incus server is busy or restarting: retry shortly",
};

/** Where an Incus error came from, for its message and details. */
export interface IncusErrorSource {
  /** The driver operation, e.g. `stop`. */
  readonly op: string;
  /** The HTTP method and path (never a secret), e.g. `PUT /1.0/instances/web/state`. */
  readonly request: string;
  /** The HTTP status of the response. */
  readonly status?: number;
  /** The envelope's `error_code`, or 0 for a failed operation (its message alone decides). */
  readonly code: number;
  /** Incus's own message, kept verbatim. */
  readonly message: string;
  /** The hint for this case, when the caller knows a better next move. */
  readonly hint?: string;
  /** More facts for `details`, e.g. the operation id. */
  readonly details?: Readonly<Record<string, unknown>>;
}

/** A {@link DriverError} from an Incus error envelope or a failed operation, Incus's message kept. */
export function incusError(source: IncusErrorSource): DriverError {
  const reason = classifyIncusError(source.code, source.message);
  const hint = source.hint ?? HINTS[reason];
  return driverError({
    driver: DRIVER,
    op: source.op,
    reason,
    message: `Incus refused ${source.request}: ${source.message || `error ${source.code}`}`,
    ...(hint ? { hint } : {}),
    details: {
      request: source.request,
      ...(source.status === undefined ? {} : { status: source.status }),
      code: source.code,
      incusError: source.message,
      ...source.details,
    },
  });
}

const TLS_CODES =
  /^(?:CERT_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_|ERR_TLS_|ERR_SSL_|ERR_OSSL_)/;

/** A {@link DriverError} for a request that never got an Incus answer (socket, TCP or TLS failure). */
export function transportError(op: string, request: string, endpoint: string, cause: unknown): DriverError {
  const code = errorCode(cause);
  const base = { driver: DRIVER, op, details: { request, endpoint, ...(code ? { code } : {}) }, cause };
  const text = cause instanceof Error ? cause.message : String(cause);
  if (code === "EACCES" || code === "EPERM") {
    return driverError({
      ...base,
      reason: "unauthorized",
      message: `cannot open the Incus socket ${endpoint}: permission denied`,
      hint: "run as root or as a member of the incus-admin group, or set INCUS_SOCKET",
    });
  }
  if (code && TLS_CODES.test(code)) {
    return driverError({
      ...base,
      reason: "failed",
      message: `TLS verification of the Incus server ${endpoint} failed (${code}): ${text}`,
      hint: "pin the server's own certificate (tls.serverCert: its server.crt) or give the CA that signed it (tls.ca)",
    });
  }
  return driverError({
    ...base,
    reason: "unavailable",
    message: `cannot reach the Incus server at ${endpoint}${code ? ` (${code})` : ""}: ${text}`,
    hint: "is incusd running? Locally: `scripts/backends up incus` or check INCUS_SOCKET / INCUS_DIR; remotely: check core.https_address",
  });
}

/** The `code` of a Node or undici error, following `cause` chains. */
function errorCode(error: unknown): string | undefined {
  for (let e = error, depth = 0; e && typeof e === "object" && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && code !== "UND_ERR_SOCKET" && code !== "UND_ERR") return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}
