/** `text` escaped to match itself in a regular expression. */
const literal = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** Runs of base64 (standard or URL-safe) long enough to hide a credential. */
const BASE64_RUN = /[A-Za-z0-9+/_-]{8,}={0,2}/g;

/**
 * Removes secrets from text before it reaches an error, an event or a log: the token in
 * every form it could be echoed back (raw, URL-encoded, base64 — in any letter case), any
 * base64 run that decodes to text holding it (Basic auth's `base64(user:token)`), and any
 * `token=` / `access_token=` query value.
 */
export class Redactor {
  /** The secrets in the forms they are echoed in, any case; `undefined` when there are none. */
  readonly #forms: RegExp | undefined;
  /** The secrets themselves, lower-cased, looked for inside decoded base64. */
  readonly #lower: string[];

  /** @param secrets the values to hide (empty strings are ignored). */
  constructor(secrets: readonly string[]) {
    const forms = new Set<string>();
    for (const secret of secrets) {
      if (!secret) continue;
      forms.add(secret);
      forms.add(encodeURIComponent(secret));
      forms.add(Buffer.from(secret).toString("base64"));
      forms.add(Buffer.from(secret).toString("base64url"));
    }
    const sorted = [...forms].filter((s) => s.length > 0).sort((a, b) => b.length - a.length);
    this.#forms = sorted.length > 0 ? new RegExp(sorted.map(literal).join("|"), "gi") : undefined;
    this.#lower = secrets.filter((s) => s.length > 0).map((s) => s.toLowerCase());
  }

  /** The text with every secret replaced by `[redacted]`, cut to `max` characters. */
  text(value: string, max = 2_000): string {
    let out = this.#forms === undefined ? value : value.replace(this.#forms, "[redacted]");
    if (this.#lower.length > 0)
      out = out.replace(BASE64_RUN, (run) => (this.#hides(run) ? "[redacted]" : run));
    out = out.replace(/((?:access_)?token=)[^&\s"']+/gi, "$1[redacted]");
    out = out.replace(/(authorization:\s*)(token|bearer|basic)\s+\S+/gi, "$1$2 [redacted]");
    return out.length > max ? `${out.slice(0, max)}…` : out;
  }

  /** Whether a base64 run, decoded from any of its first four offsets, holds a secret. */
  #hides(run: string): boolean {
    for (let offset = 0; offset < 4 && offset < run.length; offset++) {
      const decoded = Buffer.from(run.slice(offset), "base64").toString("latin1").toLowerCase();
      if (this.#lower.some((secret) => decoded.includes(secret))) return true;
    }
    return false;
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
