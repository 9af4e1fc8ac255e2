/**
 * Removes secrets from text before it reaches an error, an event or a log: the token in
 * every form it could be echoed back (raw, URL-encoded, base64 in Basic auth), and any
 * `token=` / `access_token=` query value.
 */
export class Redactor {
  readonly #secrets: string[];

  /** @param secrets the values to hide (empty strings are ignored). */
  constructor(secrets: readonly string[]) {
    const forms = new Set<string>();
    for (const secret of secrets) {
      if (!secret) continue;
      forms.add(secret);
      forms.add(encodeURIComponent(secret));
      forms.add(Buffer.from(secret).toString("base64"));
    }
    this.#secrets = [...forms].filter((s) => s.length > 0).sort((a, b) => b.length - a.length);
  }

  /** The text with every secret replaced by `[redacted]`, cut to `max` characters. */
  text(value: string, max = 2_000): string {
    let out = value;
    for (const secret of this.#secrets) out = out.split(secret).join("[redacted]");
    out = out.replace(/((?:access_)?token=)[^&\s"']+/gi, "$1[redacted]");
    out = out.replace(/(authorization:\s*)(token|bearer|basic)\s+\S+/gi, "$1$2 [redacted]");
    return out.length > max ? `${out.slice(0, max)}…` : out;
  }

  /** A URL for messages: origin and path only (query strings may carry signatures). */
  url(url: URL): string {
    return this.text(`${url.origin}${url.pathname}`);
  }

  /**
   * A plain, secret-free copy of a thrown value for `DriverError.cause`: name, code and
   * message only, never the request or its headers.
   */
  cause(error: unknown): { name: string; code?: string; message: string } {
    if (error instanceof Error) {
      const code = errorCode(error);
      return { name: error.name, ...(code ? { code } : {}), message: this.text(error.message) };
    }
    return { name: "Error", message: this.text(String(error)) };
  }
}

/** The `code` of an error or of its `cause` chain (undici nests socket errors). */
export function errorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && typeof current === "object" && current !== null; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string") return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}
