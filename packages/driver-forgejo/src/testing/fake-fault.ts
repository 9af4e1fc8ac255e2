/** A failure the fake injects into matching requests (see {@link FakeForgejo.injectFault}). */
export interface FakeFault {
  /** Only requests with this method (any when absent). */
  readonly method?: string;
  /** Only paths containing this string, or matching this regex (any when absent). */
  readonly path?: string | RegExp;
  /** The API origin (default) or the storage origin downloads are redirected to. */
  readonly origin?: "api" | "storage";
  /** How many matching requests it hits. Default 1. */
  readonly times?: number;
  /**
   * `before` (default): instead of handling the request (an upload's body is read and
   * dropped, nothing is stored). `after`: the request is handled (an upload is stored),
   * then the response is replaced — the "server did it but the client never heard" case.
   */
  readonly phase?: "before" | "after";
  readonly action: /** Answer with this status, a plain-text body and extra headers (e.g. `Retry-After`). */
    | {
        readonly kind: "status";
        readonly status: number;
        readonly body?: string;
        readonly headers?: Readonly<Record<string, string>>;
      }
    /** Destroy the connection; with `afterBytes`, after sending that much of the response body. */
    | { readonly kind: "reset"; readonly afterBytes?: number }
    /** Send the response body in `chunkBytes` pieces, `delayMs` apart. */
    | { readonly kind: "slow"; readonly delayMs: number; readonly chunkBytes?: number }
    /** Wait before answering at all. */
    | { readonly kind: "delay"; readonly ms: number };
}

/** A fault with its remaining count. */
export interface ArmedFault {
  readonly fault: FakeFault;
  remaining: number;
}

/** Takes the first armed fault matching the request, counting it down. */
export function takeFault(
  faults: ArmedFault[],
  origin: "api" | "storage",
  phase: "before" | "after",
  method: string,
  path: string,
): FakeFault | undefined {
  for (const armed of faults) {
    const f = armed.fault;
    if (armed.remaining <= 0) continue;
    if ((f.origin ?? "api") !== origin || (f.phase ?? "before") !== phase) continue;
    if (f.method && f.method.toUpperCase() !== method) continue;
    if (f.path !== undefined && !(typeof f.path === "string" ? path.includes(f.path) : f.path.test(path)))
      continue;
    armed.remaining--;
    return f;
  }
  return undefined;
}
