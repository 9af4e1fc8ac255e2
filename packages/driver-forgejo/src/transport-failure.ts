import { errorCode, type Redactor } from "./redactor";

/** A request that got no HTTP response: what happened, and whether trying again is safe. */
export interface TransportFailure {
  readonly kind: "transport";
  /** The error code, e.g. `ECONNRESET`, `UND_ERR_HEADERS_TIMEOUT`, `CERT_HAS_EXPIRED`. */
  readonly code: string;
  /** A secret-free description. */
  readonly message: string;
  /** The request timed out (headers or body). */
  readonly timeout: boolean;
  /** The caller's signal aborted it. */
  readonly aborted: boolean;
  /** TLS verification failed: retrying cannot help. */
  readonly tls: boolean;
  /** The server never saw the request (no connection was made). */
  readonly notSent: boolean;
  /** A retry could succeed (for an idempotent request). */
  readonly transient: boolean;
  /** A secret-free copy of the thrown value. */
  readonly cause: ReturnType<Redactor["cause"]>;
}

const TIMEOUT = new Set([
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
  "UND_ERR_CONNECT_TIMEOUT",
  "ETIMEDOUT",
]);
const NOT_SENT = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "UND_ERR_CONNECT_TIMEOUT",
]);
const TRANSIENT = new Set([
  ...TIMEOUT,
  "ECONNREFUSED",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ECONNRESET",
  "ECONNABORTED",
  "EPIPE",
  "UND_ERR_SOCKET",
  "UND_ERR_CLOSED",
  "UND_ERR_RES_CONTENT_LENGTH_MISMATCH",
  "ERR_STREAM_PREMATURE_CLOSE",
]);
const isTls = (code: string) =>
  code.startsWith("CERT_") ||
  code.startsWith("ERR_TLS_") ||
  code.startsWith("ERR_SSL_") ||
  [
    "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
    "UNABLE_TO_GET_ISSUER_CERT",
    "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
    "DEPTH_ZERO_SELF_SIGNED_CERT",
    "SELF_SIGNED_CERT_IN_CHAIN",
  ].includes(code);

/** Classifies a thrown transport error (undici, socket, TLS, abort). */
export function transportFailure(error: unknown, redactor: Redactor, signal?: AbortSignal): TransportFailure {
  const aborted =
    signal?.aborted === true ||
    (error instanceof Error && (error.name === "AbortError" || errorCode(error) === "UND_ERR_ABORTED"));
  const code = aborted ? "ABORTED" : (errorCode(error) ?? "UNKNOWN");
  const cause = redactor.cause(error);
  const tls = isTls(code);
  return {
    kind: "transport",
    code,
    message: tls ? `TLS verification failed (${code})` : `${code}: ${cause.message}`,
    timeout: TIMEOUT.has(code),
    aborted,
    tls,
    notSent: NOT_SENT.has(code) || tls,
    transient: !aborted && TRANSIENT.has(code),
    cause,
  };
}
