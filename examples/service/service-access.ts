import { createHash, timingSafeEqual } from "node:crypto";

/**
 * Who may use the service. Both are off by default (the simulated fleet); turn both on
 * before the service touches real systems.
 */
export interface ServiceAccess {
  /**
   * When set, `POST /alerts` needs `Authorization: Bearer <alertToken>`: Alertmanager's
   * `http_config.authorization` with `credentials_file`. The token never appears in a
   * response or a log line.
   */
  readonly alertToken?: string;
  /**
   * When set, an approval's approver is this request header's value — the user a
   * single-sign-on reverse proxy vouches for (e.g. `x-forwarded-user`) — and a name typed in
   * the page or sent in the body is ignored. A request without the header is refused.
   */
  readonly approverHeader?: string;
}

const digest = (text: string) => createHash("sha256").update(text).digest();

/** Whether an `Authorization` header carries `Bearer <token>`, compared in constant time. */
export function bearerMatches(authorization: string | undefined, token: string): boolean {
  const given = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? "")?.[1];
  return given !== undefined && timingSafeEqual(digest(given), digest(token));
}

/** The 401 body: what is missing and what to do, never the token. */
export function unauthorized(message: string, hint: string) {
  return { error: { reason: "unauthorized", message, hint } };
}
