/**
 * What the driver reports to `onEvent` as it works: one event per HTTP attempt, per
 * redirect and per retry. Events never carry the token, headers or query strings.
 */
export type ForgejoEvent =
  | {
      readonly type: "request";
      /** The driver operation, e.g. `upload`. */
      readonly op: string;
      readonly method: string;
      /** Origin and path, no query. */
      readonly url: string;
      readonly attempt: number;
      /** The HTTP status, when one came back. */
      readonly status?: number;
      /** A transport failure's code, e.g. `ECONNRESET`. */
      readonly error?: string;
    }
  | {
      readonly type: "redirect";
      readonly op: string;
      /** Origin and path of the target, no query. */
      readonly to: string;
      /** True when the target is another origin, so `Authorization` was not sent. */
      readonly crossOrigin: boolean;
    }
  | {
      readonly type: "retry";
      readonly op: string;
      /** The attempt that failed. */
      readonly attempt: number;
      readonly delayMs: number;
      /** Why, e.g. `HTTP 503` or `ECONNRESET`. */
      readonly reason: string;
    };
